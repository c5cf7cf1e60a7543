// Directory mode checks an edit as the API server checks an update: transition
// rules (`oldSelf`) against the last good version of the same object; refused,
// that version stays served.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { dump } from 'js-yaml';
import { list, type World } from '../../src/model';
import { DirectorySource } from '../../src/watch/directory';
import { describeError } from '../../src/watch/source';
import { ConfigStore } from '../../src/watch/store';
import { gatewayClass, immutableClassCrd } from '../support/immutable-crd';

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('directory mode: transition rules', () => {
  let dir: string | undefined;
  let src: DirectorySource | undefined;
  afterEach(async () => {
    await src?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an edit of an immutable field with file:line, keeps the last good version, and takes other edits', async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-transitions-'));
    const classes = join(dir, 'classes.yaml');
    writeFileSync(join(dir, 'crds.yaml'), dump(immutableClassCrd));
    writeFileSync(classes, dump(gatewayClass('a.example/ctl')));
    src = new DirectorySource(dir, { settleMs: 10, pollMs: 0 });
    let world: World | undefined;
    const store = new ConfigStore();
    store.subscribe((w) => (world = w));
    store.attach(src);
    await src.start();
    store.flush();
    const served = () =>
      list(world as World, 'GatewayClass').map((c) => `${c.spec?.controllerName} ${c.spec?.description}`);
    const errors = () => (src as DirectorySource).errors().map(describeError);
    assert.deepEqual(served(), ['a.example/ctl d']);

    writeFileSync(classes, dump(gatewayClass('b.example/ctl')));
    await until(() => errors().length === 1, 'the edit refused');
    assert.deepEqual(errors(), [
      'classes.yaml:1: GatewayClass waypoints: spec.controllerName: Invalid value: "object": Value is immutable',
    ]);
    store.flush();
    assert.deepEqual(served(), ['a.example/ctl d']);

    writeFileSync(classes, dump(gatewayClass('a.example/ctl', 'changed')));
    await until(() => errors().length === 0, 'a permitted edit');
    await until(() => (store.flush(), served()[0] === 'a.example/ctl changed'), 'served');
  });
});
