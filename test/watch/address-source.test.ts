// serve --config-dir: ServiceEntries from files reach the World with the
// addresses the directory mode derives for them (model/ip-allocation-plan.ts:
// hashedAddresses), and keep them across a restart and across edits of other
// entries.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { get, type World } from '../../src/model';
import { AddressAssigningSource } from '../../src/watch/address-source';
import { DirectorySource } from '../../src/watch/directory';
import { ConfigStore } from '../../src/watch/store';
import type { ChangeListener, ConfigSource } from '../../src/watch/source';

const entry = (name: string, hosts: string[]) =>
  `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ${name}, namespace: egress}\n` +
  `spec:\n  hosts: [${hosts.join(', ')}]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n`;

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('directory source with ServiceEntry addresses', () => {
  let dir: string;
  const sources: AddressAssigningSource[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-addr-'));
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async () => {
    const src = new AddressAssigningSource(new DirectorySource(dir, { settleMs: 10, pollMs: 0 }));
    sources.push(src);
    const store = new ConfigStore();
    const state: { world?: World } = {};
    store.subscribe((w) => (state.world = w));
    store.attach(src);
    await src.start();
    store.flush();
    const addresses = (name: string) =>
      (get(state.world!, 'ServiceEntry', 'egress', name)?.status?.addresses ?? []).map((a) => `${a.host}=${a.value}`);
    return { store, addresses };
  };

  it('serves entries with addresses, the same after a restart and after another entry is added', async () => {
    writeFileSync(join(dir, 'a.yaml'), entry('a', ['a.example.com']));
    const first = await open();
    const a = first.addresses('a');
    assert.equal(a.length, 2);
    assert.match(a[0]!, /^a\.example\.com=240\.240\.\d+\.\d+$/);
    assert.match(a[1]!, /^a\.example\.com=2001:2::[0-9a-f]+$/);
    writeFileSync(join(dir, 'b.yaml'), entry('b', ['b.example.com']));
    await until(() => {
      first.store.flush();
      return first.addresses('b').length === 2;
    }, 'b served');
    assert.deepEqual(first.addresses('a'), a);
    const second = await open();
    assert.deepEqual(second.addresses('a'), a);
    assert.deepEqual(second.addresses('b'), first.addresses('b'));
  });
});

describe('address-assigning source', () => {
  it("passes on when the inner source's changes arrived", () => {
    let emit: ChangeListener = () => undefined;
    const inner: ConfigSource = {
      name: 'inner',
      synced: true,
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      onChanges: (l) => (emit = l),
      errors: () => [],
    };
    const outer = new AddressAssigningSource(inner);
    const seen: (number | undefined)[] = [];
    outer.onChanges((_, arrivedAt) => seen.push(arrivedAt));
    const object = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } };
    emit([{ op: 'upsert', object }], 42);
    emit([{ op: 'upsert', object: { ...object, metadata: { name: 'b' } } }]);
    assert.deepEqual(seen, [42, undefined]);
  });
});
