// CRDs kept in a config directory check its other documents, as the API
// server checks custom resources against the CRDs it serves.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectorySource } from '../../src/watch/directory';
import { loadManifests } from '../../src/watch/load';
import { describeError } from '../../src/watch/source';
import { ConfigStore } from '../../src/watch/store';
import { list, type World } from '../../src/model';
import { crd, route } from '../support/crd-fixtures';

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('CRDs in the config directory', () => {
  let dir: string;
  let src: DirectorySource;
  let world: World;
  const routes = () =>
    list(world, 'HTTPRoute')
      .map((r) => `${r.metadata.name}:${r.spec?.rules?.[0]?.name}`)
      .sort();
  const errors = () => src.errors().map(describeError);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-crds-'));
  });
  afterEach(async () => {
    await src?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses what a CRD rule refuses with file:line, serves the valid route beside it, and follows CRD edits', async () => {
    // The route file sorts before the CRD's: the CRD still checks it.
    writeFileSync(join(dir, 'a-routes.yaml'), `${route('good', 'ok')}---\n${route('bad', 'forbidden')}`);
    writeFileSync(join(dir, 'z-crds.yaml'), crd(16));
    src = new DirectorySource(dir, { settleMs: 10, pollMs: 0 });
    const store = new ConfigStore();
    store.subscribe((w) => (world = w));
    store.attach(src);
    await src.start();
    store.flush();
    assert.deepEqual(routes(), ['good:ok']);
    assert.deepEqual(errors(), [
      'a-routes.yaml:14: HTTPRoute app/bad: spec.rules[0]: Invalid value: "object": the name forbidden is reserved',
    ]);

    // An edit that breaks the good route keeps its last good version.
    writeFileSync(join(dir, 'a-routes.yaml'), `${route('good', 'forbidden')}---\n${route('bad', 'forbidden')}`);
    await until(() => errors().length === 2, 'both refused');
    store.flush();
    assert.deepEqual(routes(), ['good:ok']);

    // The CRD goes: nothing refuses the name any more.
    unlinkSync(join(dir, 'z-crds.yaml'));
    await until(() => errors().length === 0, 'refusals gone with the CRD');
    await until(() => (store.flush(), routes().length === 2), 'both served');
    assert.deepEqual(routes(), ['bad:forbidden', 'good:forbidden']);

    // And it comes back with a schema rule too.
    writeFileSync(join(dir, 'z-crds.yaml'), crd(0));
    await until(() => errors().length === 2, 'schema refuses both');
    assert.match(
      errors()[0] ?? '',
      /^a-routes\.yaml:1: HTTPRoute app\/good: spec\.rules: Too many: 1: must have at most 0 items/,
    );
  });

  it('offline loading (translate, analyze) reads CRDs from the files given, in any order', async () => {
    writeFileSync(join(dir, 'routes.yaml'), `${route('good', 'ok')}---\n${route('bad', 'forbidden')}`);
    writeFileSync(join(dir, 'crds.yaml'), crd(16));
    const { world: w, errors: errs } = await loadManifests([join(dir, 'routes.yaml'), join(dir, 'crds.yaml')]);
    assert.deepEqual(
      list(w, 'HTTPRoute').map((r) => r.metadata.name),
      ['good'],
    );
    assert.deepEqual(errs.map(describeError), [
      `${join(dir, 'routes.yaml')}:14: HTTPRoute app/bad: spec.rules[0]: Invalid value: "object": the name forbidden is reserved`,
    ]);
  });
});
