import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectorySource } from '../../src/watch/directory';
import { ConfigStore } from '../../src/watch/store';
import { describeError } from '../../src/watch/source';
import { list, type World } from '../../src/model';

const svc = (name: string, port = 80) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: app\nspec:\n  ports:\n  - port: ${port}\n`;

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('manifest directory source', () => {
  let dir: string;
  let src: DirectorySource;
  let store: ConfigStore;
  let world: World;
  const ports = (name: string) => list(world, 'Service').find((s) => s.metadata.name === name)?.spec?.ports?.[0]?.port;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-dir-'));
    store = new ConfigStore();
    store.subscribe((w) => (world = w));
  });
  afterEach(async () => {
    await src?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  async function start() {
    src = new DirectorySource(dir, { settleMs: 10 });
    store.attach(src);
    await src.start();
    store.flush();
  }

  it('dates the changes a file event brings by the event, before its settle and re-read', async () => {
    writeFileSync(join(dir, 'a.yaml'), svc('a'));
    const seen: { arrivedAt?: number; deliveredAt: number }[] = [];
    src = new DirectorySource(dir, { settleMs: 50 });
    src.onChanges((_, arrivedAt) => seen.push({ arrivedAt, deliveredAt: Date.now() }));
    await src.start();
    assert.equal(seen[0]?.arrivedAt, undefined, 'the first load answers no event');
    const written = Date.now();
    writeFileSync(join(dir, 'a.yaml'), svc('a', 81));
    await until(() => seen.length === 2, 'the edit to be delivered');
    const { arrivedAt, deliveredAt } = seen[1]!;
    assert.ok(arrivedAt !== undefined && arrivedAt >= written, 'dated by the file event');
    // Timers may fire a millisecond early; the settle alone lies between the event and the delivery.
    assert.ok(deliveredAt - arrivedAt >= 49, `the settle lies between (${deliveredAt - arrivedAt} ms)`);
  });

  it('loads multi-document YAML, JSON and List files, recursively', async () => {
    writeFileSync(join(dir, 'a.yaml'), `${svc('one')}---\n${svc('two')}`);
    mkdirSync(join(dir, 'nested'));
    writeFileSync(
      join(dir, 'nested', 'b.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'three', namespace: 'app' },
        spec: { ports: [{ port: 81 }] },
      }),
    );
    writeFileSync(
      join(dir, 'nested', 'list.yml'),
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: app\n`,
    );
    await start();
    assert.deepEqual(
      list(world, 'Service')
        .map((s) => s.metadata.name)
        .sort(),
      ['one', 'three', 'two'],
    );
    assert.equal(list(world, 'Namespace').length, 1);
    assert.deepEqual(src.errors(), []);
  });

  it('reports bad documents with file, line, kind and name, and still loads the rest', async () => {
    writeFileSync(
      join(dir, 'mixed.yaml'),
      `${svc('good')}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: badport\n  namespace: app\nspec:\n  ports:\n  - port: "eighty"\n---\nkind: Wat\napiVersion: x/v1\nmetadata: {name: w}\n---\nfoo: [unclosed\n`,
    );
    await start();
    assert.deepEqual(
      list(world, 'Service').map((s) => s.metadata.name),
      ['good'],
    );
    const errs = src.errors().map(describeError);
    assert.ok(
      errs.some((e) =>
        /^mixed\.yaml:10: Service app\/badport: spec\.ports\[0\]\.port: must be an integer port/.test(e),
      ),
      errs.join('\n'),
    );
    assert.ok(
      errs.some((e) => /^mixed\.yaml:\d+: Wat w: unknown kind Wat \(x\/v1\)/.test(e)),
      errs.join('\n'),
    );
    assert.ok(
      errs.some((e) => /^mixed\.yaml:\d+: invalid YAML/.test(e)),
      errs.join('\n'),
    );
  });

  it('reports a duplicate identity instead of merging, keeping the first file', async () => {
    writeFileSync(join(dir, 'a.yaml'), svc('same', 80));
    writeFileSync(join(dir, 'b.yaml'), svc('same', 90));
    await start();
    assert.equal(ports('same'), 80);
    const errs = src.errors().map(describeError);
    assert.deepEqual(errs, ['b.yaml:1: Service app/same: same object as a.yaml:1; ignored']);
  });

  it('hands a duplicated object to the next file when the first one goes, and back when it returns', async () => {
    writeFileSync(join(dir, 'a.yaml'), svc('same', 80));
    writeFileSync(join(dir, 'b.yaml'), svc('same', 90));
    writeFileSync(join(dir, 'c.yaml'), svc('same', 100));
    await start();
    assert.equal(ports('same'), 80);
    assert.equal(src.errors().length, 2);
    unlinkSync(join(dir, 'a.yaml'));
    await until(() => ports('same') === 90, 'b.yaml serves it');
    assert.deepEqual(src.errors().map(describeError), ['c.yaml:1: Service app/same: same object as b.yaml:1; ignored']);
    unlinkSync(join(dir, 'c.yaml'));
    await until(() => src.errors().length === 0, 'no duplicate left');
    assert.equal(ports('same'), 90);
    writeFileSync(join(dir, 'a.yaml'), svc('same', 85));
    await until(() => ports('same') === 85, 'a.yaml first again');
    assert.deepEqual(src.errors().map(describeError), ['b.yaml:1: Service app/same: same object as a.yaml:1; ignored']);
  });

  it('follows edits, new files and deletions, and keeps the last good version of a broken object', async () => {
    writeFileSync(join(dir, 'a.yaml'), svc('s', 80));
    await start();
    assert.equal(ports('s'), 80);
    writeFileSync(join(dir, 'a.yaml'), svc('s', 81));
    await until(() => ports('s') === 81, 'edit applied');
    writeFileSync(join(dir, 'a.yaml'), svc('s', 81).replace('port: 81', 'port: -1'));
    await until(() => src.errors().length > 0, 'error reported');
    store.flush();
    assert.equal(ports('s'), 81, 'last good version stays');
    writeFileSync(join(dir, 'a.yaml'), 'this: [is not yaml');
    await until(() => src.errors().some((e) => e.message.startsWith('invalid YAML')), 'parse error reported');
    assert.equal(ports('s'), 81, 'an unreadable file keeps its objects');
    writeFileSync(join(dir, 'a.yaml'), svc('s', 82));
    await until(() => ports('s') === 82 && src.errors().length === 0, 'fixed');
    writeFileSync(join(dir, 'b.yaml'), svc('t'));
    await until(() => ports('t') === 80, 'new file');
    unlinkSync(join(dir, 'a.yaml'));
    await until(() => ports('s') === undefined, 'deleted file removes its objects');
  });
});

describe('config store', () => {
  it('coalesces a burst into one World and one notification', async () => {
    const store = new ConfigStore();
    const seen: number[] = [];
    store.subscribe((_w, changed) => seen.push(changed.size));
    for (let i = 0; i < 10; i++) {
      store.enqueue([{ op: 'upsert', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `n${i}` } } }]);
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [10]);
  });
});
