import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { list, type Change, type World } from '../../src/model';
import { DirectorySource, type DirectoryOptions } from '../../src/watch/directory';
import { describeError } from '../../src/watch/source';
import { ConfigStore } from '../../src/watch/store';
import { startPipeline } from '../../src/server/pipeline';
import { SnapshotCache } from '../../src/xds';
import { until } from './poll';

const svc = (name: string, port = 80) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: app\nspec:\n  ports:\n  - port: ${port}\n`;

// File events only (no periodic rescan) unless a test asks: each way of
// writing a file must be seen through the watch itself.
const EVENTS_ONLY: DirectoryOptions = { settleMs: 10, pollMs: 0 };

describe('manifest directory source: what editors and tools do to files', () => {
  let dir: string;
  let src: DirectorySource | undefined;
  let world: World;
  let batches: Change[][];
  const port = (name: string) =>
    list(world, 'Service').find((s) => s.metadata.name === name)?.spec?.ports?.[0]?.port as number | undefined;
  const errors = () => src!.errors().map(describeError);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-dir3-'));
    batches = [];
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  async function start(opts: DirectoryOptions = EVENTS_ONLY) {
    const store = new ConfigStore();
    store.subscribe((w) => (world = w));
    src = new DirectorySource(dir, opts);
    src.onChanges((c) => batches.push(c));
    store.attach(src);
    await src.start();
    store.flush();
    return src;
  }

  const inPlace = (f: string, text: string) => writeFileSync(f, text);
  const renameOver = (f: string, text: string) => {
    // An editor's safe save: write a temporary file beside it, rename over.
    writeFileSync(`${f}.tmp~`, text);
    renameSync(`${f}.tmp~`, f);
  };
  const deleteCreate = (f: string, text: string) => {
    unlinkSync(f);
    writeFileSync(f, text);
  };
  const sedI = (f: string, from: number, to: number) => {
    if (process.platform === 'linux') execFileSync('sed', ['-i', `s/port: ${from}/port: ${to}/`, f]);
    else renameOver(f, svc('s', to));
  };

  it('applies every edit, whichever way the file is written, again and again', async () => {
    const f = join(dir, 's.yaml');
    writeFileSync(f, svc('s', 80));
    await start();
    assert.equal(port('s'), 80);
    // Rename-based writes first: after one, later edits used to be lost.
    const steps: [string, (p: number) => void][] = [
      ['rename over', (p) => renameOver(f, svc('s', p))],
      ['in place after a rename', (p) => inPlace(f, svc('s', p))],
      ['sed -i', (p) => sedI(f, p - 1, p)],
      ['sed -i again', (p) => sedI(f, p - 1, p)],
      ['in place after sed -i', (p) => inPlace(f, svc('s', p))],
      ['delete and create', (p) => deleteCreate(f, svc('s', p))],
      ['rename over again', (p) => renameOver(f, svc('s', p))],
      ['in place', (p) => inPlace(f, svc('s', p))],
    ];
    let p = 80;
    for (const [how, write] of steps) {
      write(++p);
      await until(() => port('s') === p, `${how}: port ${p} applied`);
    }
    assert.deepEqual(errors(), []);
  });

  it('follows a new subdirectory, a file renamed into it and edits there', async () => {
    await start();
    const sub = join(dir, 'team', 'deep');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(dir, 'outside.tmp'), svc('t', 90));
    renameSync(join(dir, 'outside.tmp'), join(sub, 't.yaml'));
    await until(() => port('t') === 90, 'file renamed into a new subdirectory');
    renameOver(join(sub, 't.yaml'), svc('t', 91));
    await until(() => port('t') === 91, 'rename-over inside it');
    inPlace(join(sub, 't.yaml'), svc('t', 92));
    await until(() => port('t') === 92, 'in-place edit inside it');
    renameSync(join(dir, 'team'), join(dir, 'moved'));
    inPlace(join(dir, 'moved', 'deep', 't.yaml'), svc('t', 93));
    await until(() => port('t') === 93, 'edit after its directory was renamed');
  });

  it('re-reads an edited file without walking the tree; added or renamed entries are walked', async () => {
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}.yaml`), svc(`f${i}`));
    writeFileSync(join(dir, '.f3.yaml.swp'), 'editor state');
    let listed = 0;
    await start({
      ...EVENTS_ONLY,
      io: {
        readdir: (d) => {
          listed++;
          return readdirSync(d);
        },
      },
    });
    listed = 0;
    inPlace(join(dir, 'f3.yaml'), svc('f3', 81));
    await until(() => port('f3') === 81, 'in-place edit applied');
    inPlace(join(dir, '.f3.yaml.swp'), 'editor state, again');
    inPlace(join(dir, 'f4.yaml'), svc('f4', 82));
    await until(() => port('f4') === 82, 'second edit applied');
    assert.equal(listed, 0, 'no directory listed for edits in place');
    renameOver(join(dir, 'f5.yaml'), svc('f5', 83));
    await until(() => port('f5') === 83, 'safe save applied');
    assert.ok(listed > 0, 'a rename walks the tree');
    listed = 0;
    inPlace(join(dir, 'new.yaml'), svc('n', 84));
    await until(() => port('n') === 84, 'new file found');
    assert.ok(listed > 0, 'a new file walks the tree');
    assert.deepEqual(errors(), []);
  });

  it('rescans periodically when file events are missed', async () => {
    // A write through a hard link outside the tree raises no event in the
    // tree's directories: only the periodic rescan sees it.
    const outside = mkdtempSync(join(tmpdir(), 'istiod-lite-dir3-out-'));
    try {
      writeFileSync(join(outside, 'p.yaml'), svc('p', 80));
      linkSync(join(outside, 'p.yaml'), join(dir, 'p.yaml'));
      await start({ settleMs: 10, pollMs: 30 });
      assert.equal(port('p'), 80);
      writeFileSync(join(outside, 'p.yaml'), svc('p', 81));
      await until(() => port('p') === 81, 'picked up by the rescan');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('parses only the document that changed and emits only its object', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const f = join(dir, 'many.yaml');
    writeFileSync(f, names.map((n) => svc(n)).join('---\n'));
    await start();
    const before = new Map(src!.objects().map((o) => [o.object.metadata.name, o.object]));
    batches = [];
    // One line changed, and a line added above everything: lines shift.
    writeFileSync(f, `# edited\n${names.map((n) => svc(n, n === 's25' ? 81 : 80)).join('---\n')}`);
    await until(() => port('s25') === 81, 'edit applied');
    assert.deepEqual(
      batches.flat().map((c) => (c.op === 'upsert' ? c.object.metadata.name : c.name)),
      ['s25'],
    );
    for (const o of src!.objects()) {
      if (o.object.metadata.name !== 's25') assert.equal(o.object, before.get(o.object.metadata.name));
      // Lines follow the shift: each object is reported where it now is.
      if (o.object.metadata.name === 's1') assert.equal(o.line, 1 + 8 + 1 + 1);
    }
  });

  it('does not walk a symlink loop, and reads each directory once', async () => {
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 's.yaml'), svc('s'));
    symlinkSync('..', join(dir, 'a', 'up'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    const t = Date.now();
    await start();
    assert.ok(Date.now() - t < 2000);
    assert.equal(port('s'), 80);
    const errs = errors();
    assert.ok(
      errs.some((e) => /^a\/up: symlink loop back to \.; not followed/.test(e)),
      errs.join('\n'),
    );
    assert.ok(
      errs.some((e) => /^b: same directory as a; read there only/.test(e)),
      errs.join('\n'),
    );
    assert.ok(!errs.some((e) => e.includes('same object')), 'no file read twice');
  });

  it('refuses an oversized file or document before parsing it, keeping the rest', async () => {
    // The big document is also invalid YAML: refused for its size, it was not parsed.
    const big = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big\ndata:\n${'  k: v\n'.repeat(2000)}`;
    writeFileSync(join(dir, 'docs.yaml'), `${svc('small')}---\n${big}`);
    writeFileSync(join(dir, 'huge.yaml'), `${svc('h')}#${'x'.repeat(300_000)}\n`);
    await start({ ...EVENTS_ONLY, maxDocumentBytes: 10_000, maxFileBytes: 200_000 });
    assert.equal(port('small'), 80);
    assert.equal(port('h'), undefined);
    const errs = errors();
    assert.ok(
      errs.includes(
        `docs.yaml:10: document is ${Buffer.byteLength(`---\n${big}`)} bytes, more than the limit of 10000`,
      ),
      errs.join('\n'),
    );
    assert.ok(
      errs.some((e) => /^huge\.yaml: file is 300\d+ bytes, more than the limit of 200000; not read$/.test(e)),
      errs.join('\n'),
    );
  });

  it('keeps the objects of an unreadable directory or file, and says so', async () => {
    mkdirSync(join(dir, 'team'));
    writeFileSync(join(dir, 'team', 't.yaml'), svc('t'));
    writeFileSync(join(dir, 'u.yaml'), svc('u'));
    let denied = new Set<string>();
    const eacces = (p: string) =>
      Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
    await start({
      ...EVENTS_ONLY,
      io: {
        readdir: (d) => {
          if (denied.has(d)) throw eacces(d);
          return readdirSync(d);
        },
        open: (p) => {
          if (denied.has(p)) throw eacces(p);
          return openSync(p, 'r');
        },
      },
    });
    batches = [];
    denied = new Set([join(dir, 'team'), join(dir, 'u.yaml')]);
    writeFileSync(join(dir, 'u.yaml'), svc('u', 81)); // changed, but cannot be read
    writeFileSync(join(dir, 'trigger.yaml'), svc('x'));
    await until(() => port('x') === 80, 'the rest still loads');
    assert.equal(port('t'), 80, 'unreadable directory: objects kept');
    assert.equal(port('u'), 80, 'unreadable file: last good objects kept');
    assert.ok(!batches.flat().some((c) => c.op === 'delete'), 'no removal pushed');
    const errs = errors();
    assert.ok(
      errs.some((e) => /^team: cannot list directory \(EACCES.*\); keeping what was loaded from it$/.test(e)),
      errs.join('\n'),
    );
    assert.ok(
      errs.some((e) => /^u\.yaml: cannot read: EACCES.*; keeping the 1 objects last loaded from it$/.test(e)),
      errs.join('\n'),
    );
    denied = new Set();
    writeFileSync(join(dir, 'u.yaml'), svc('u', 82));
    await until(() => port('u') === 82 && src!.errors().length === 0, 'readable again');
  });

  it('keeps the objects of a file truncated to 0 bytes mid-write, or half-written', async () => {
    const f = join(dir, 'w.yaml');
    writeFileSync(f, `${svc('a')}---\n${svc('b')}`);
    await start();
    batches = [];
    truncateSync(f, 0);
    await until(() => errors().some((e) => e.startsWith('w.yaml: file is empty')), 'empty file reported');
    assert.equal(port('a'), 80);
    assert.equal(port('b'), 80);
    writeFileSync(f, `${svc('a', 81)}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  namesp`);
    await until(() => port('a') === 81, 'the complete document applied');
    assert.equal(port('b'), 80, 'the cut-off document keeps its last good version');
    assert.ok(!batches.flat().some((c) => c.op === 'delete'), 'no removal pushed');
    writeFileSync(f, `${svc('a', 81)}---\n${svc('b', 82)}`);
    await until(() => port('b') === 82 && src!.errors().length === 0, 'write completed');
  });
});

describe('istiod_lite_config_errors', () => {
  it('counts the problems present now, also when no object changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-dir4-'));
    writeFileSync(join(dir, 's.yaml'), svc('s'));
    const pipeline = await startPipeline({ configDir: dir }, new SnapshotCache(), pino({ level: 'silent' }));
    const gauge = async () => /^istiod_lite_config_errors (\d+)$/m.exec(await pipeline.metrics())?.[1];
    try {
      assert.equal(await gauge(), '0');
      // The object keeps its last good version: the World does not change.
      writeFileSync(join(dir, 's.yaml'), svc('s', -1));
      let now: string | undefined;
      await until(() => (void gauge().then((g) => (now = g)), now === '1'), 'error counted');
      writeFileSync(join(dir, 's.yaml'), svc('s'));
      await until(() => (void gauge().then((g) => (now = g)), now === '0'), 'fix counted');
    } finally {
      await pipeline.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
