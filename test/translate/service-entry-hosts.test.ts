// The entries declaring a host are looked up in an index (one per
// ServiceEntry table) and read as that host's: a ServiceEntry change reaches
// only the readers of a host it declared before or declares now, and the
// lookups keep the entry they chose when they scanned every entry.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, list, type Change, type KubeObject, type World } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator, translateAll, type ResourceSet } from '../../src/translate';
import { readKeysOfAll, Reads } from '../../src/translate/reads';
import { meshRefsOf } from '../../src/translate/refs';
import { checkHostnameRef } from '../../src/translate/route/hostname-backends';
import { entriesDeclaring } from '../../src/translate/service-entry-hosts';
import { gw, hostnameRoute, ns, worldOf } from '../ambient/fixtures';

const entry = (
  name: string,
  namespace: string,
  hosts: string[],
  opts: { created?: string; port?: number; labels?: Record<string, string> } = {},
): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: {
    name,
    namespace,
    ...(opts.created ? { creationTimestamp: opts.created } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
  },
  spec: { hosts, resolution: 'DNS', ports: [{ number: opts.port ?? 80, name: 'http', protocol: 'HTTP' }] },
});
const del = (namespace: string, name: string): Change => ({ op: 'delete', kind: 'ServiceEntry', namespace, name });
const upsert = (object: KubeObject): Change => ({ op: 'upsert', object });
const names = (l: readonly KubeObject[]) => l.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

describe('the ServiceEntry host index', () => {
  const world = worldOf([
    entry('z', 'zeta', ['api.example.com', 'other.example.com']),
    entry('a', 'alpha', ['api.example.com', 'api.example.com']),
    entry('w', 'alpha', ['*.example.com']),
  ]);

  it('lists the entries declaring a host exactly, in World order, each once', () => {
    assert.deepEqual(names(entriesDeclaring(world, 'api.example.com')), ['zeta/z', 'alpha/a']);
    assert.deepEqual(names(entriesDeclaring(world, 'other.example.com')), ['zeta/z']);
    // A wildcard entry answers for its own string only, as the scans did.
    assert.deepEqual(names(entriesDeclaring(world, 'x.example.com')), []);
    assert.deepEqual(names(entriesDeclaring(world, '*.example.com')), ['alpha/w']);
  });

  it('answers as a scan of list() would, after entries come, go and come back', () => {
    let w = world;
    for (const changes of [
      [del('zeta', 'z')],
      [upsert(entry('z', 'zeta', ['api.example.com']))],
      [upsert(entry('a', 'alpha', ['other.example.com']))],
    ]) {
      w = applyChanges(w, changes).world;
      for (const host of ['api.example.com', 'other.example.com', '*.example.com']) {
        const scan = list(w, 'ServiceEntry').filter((se) => (se.spec?.hosts ?? []).includes(host));
        assert.deepEqual(names(entriesDeclaring(w, host)), names(scan), host);
      }
    }
  });

  it('is built once per ServiceEntry table', () => {
    assert.equal(entriesDeclaring(world, 'api.example.com'), entriesDeclaring(world, 'api.example.com'));
    const other = applyChanges(world, [upsert(ns('elsewhere'))]).world;
    assert.equal(entriesDeclaring(other, 'api.example.com'), entriesDeclaring(world, 'api.example.com'));
  });

  it("records the host's key for a reader by reference, and the whole kind for another", () => {
    const byRef = new Reads(true);
    entriesDeclaring(world, 'api.example.com', byRef);
    assert.deepEqual([...byRef.keys], ['ServiceEntry/*/@api.example.com', 'ServiceEntry/*/@*']);
    const whole = new Reads();
    entriesDeclaring(world, 'api.example.com', whole);
    assert.deepEqual([...whole.keys], ['ServiceEntry/*']);
  });

  it('names each host of an entry once', () => {
    assert.deepEqual(meshRefsOf(entry('a', 'alpha', ['a.example.com', 'b.example.com', 'a.example.com'])), [
      'a.example.com',
      'b.example.com',
    ]);
  });
});

describe('a change to a ServiceEntry reaches the readers of the hosts it declared or declares', () => {
  const reader = (host: string) => {
    const reads = new Reads(true);
    entriesDeclaring(EMPTY_WORLD, host, reads);
    return reads.keys;
  };
  const api = reader('api.example.com');
  const reaches = (from: World, changes: Change[], keys: ReadonlySet<string>, known = true) => {
    const next = applyChanges(from, changes);
    return readKeysOfAll(next.changed, next.world, known ? from : undefined).some((k) => keys.has(k));
  };
  const base = worldOf([entry('api', 'a', ['api.example.com']), entry('web', 'b', ['web.example.com'])]);

  it('an entry of another host does not', () => {
    assert.ok(!reaches(base, [upsert(entry('web', 'b', ['web.example.com'], { port: 8080 }))], api));
    assert.ok(!reaches(base, [upsert(entry('new', 'c', ['new.example.com']))], api));
    assert.ok(!reaches(base, [del('b', 'web')], api));
  });

  it('one that declared the host, declares it or declares it from now on does, in any namespace', () => {
    assert.ok(reaches(base, [upsert(entry('api', 'a', ['api.example.com'], { port: 8080 }))], api));
    assert.ok(reaches(base, [upsert(entry('api', 'a', ['gone.example.com']))], api));
    assert.ok(reaches(base, [del('a', 'api')], api));
    assert.ok(reaches(base, [upsert(entry('web', 'b', ['web.example.com', 'api.example.com']))], api));
    assert.ok(reaches(base, [upsert(entry('copy', 'elsewhere', ['api.example.com']))], api));
  });

  it('any does when the World before it is unknown', () => {
    assert.ok(reaches(base, [upsert(entry('new', 'c', ['new.example.com']))], api, false));
  });
});

describe("a Hostname backend's entry (hostname-backends.ts: entryForHost)", () => {
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'shop' },
  };
  const ref = { group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', port: 80 };
  const chosen = (objects: KubeObject[]) => {
    const checked = checkHostnameRef(worldOf(objects), route, ref);
    return checked.ok ? `${checked.entry?.metadata.namespace}/${checked.entry?.metadata.name}` : undefined;
  };
  const old = '2020-01-01T00:00:00Z';
  const young = '2024-01-01T00:00:00Z';

  it("takes the route's namespace first, whatever the age", () => {
    assert.equal(
      chosen([
        entry('x', 'other', ['api.example.com'], { created: old }),
        entry('y', 'shop', ['api.example.com'], { created: young }),
      ]),
      'shop/y',
    );
  });

  it('else the oldest, then by namespace and name', () => {
    assert.equal(
      chosen([
        entry('x', 'b', ['api.example.com'], { created: young }),
        entry('y', 'c', ['api.example.com'], { created: old }),
      ]),
      'c/y',
    );
    assert.equal(
      chosen([
        entry('y', 'b', ['api.example.com'], { created: old }),
        entry('x', 'b', ['api.example.com'], { created: old }),
        entry('z', 'a', ['api.example.com'], { created: old }),
      ]),
      'a/z',
    );
  });

  it('takes an entry with no creation time (from a file) as the oldest', () => {
    assert.equal(
      chosen([entry('x', 'a', ['api.example.com'], { created: old }), entry('y', 'b', ['api.example.com'])]),
      'b/y',
    );
  });

  it('reports a host no entry declares', () => {
    assert.equal(chosen([entry('x', 'shop', ['web.example.com'])]), undefined);
  });
});

describe('incremental translation of ServiceEntry hosts', () => {
  const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };
  const ambient = (name: string) =>
    ns(name, { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' });
  const svc = (namespace: string, ip: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'a', namespace },
    spec: { clusterIP: ip, selector: { app: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  // Waypoint one's route sends to the Hostname api.example.com; waypoint
  // two's VirtualService to the entry host vs.example.com.
  const toApi = hostnameRoute('egress', 'one', 'a', 'api.example.com', 80);
  const virtualService: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'to-vs', namespace: 'two' },
    spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'vs.example.com', port: { number: 80 } } }] }] },
  };
  let world = worldOf([
    ambient('one'),
    ambient('two'),
    ns('egress'),
    ns('other'),
    gw('waypoint', 'one'),
    gw('waypoint', 'two'),
    svc('one', '10.0.1.1'),
    svc('two', '10.0.2.1'),
    toApi,
    virtualService,
    entry('api', 'egress', ['api.example.com'], { created: '2024-01-01T00:00:00Z' }),
    entry('vs', 'egress', ['vs.example.com']),
    entry('unrelated', 'other', ['unrelated.example.com']),
  ]);
  const t = new IncrementalTranslator(OPTS);
  t.update(world, 'all');

  const versions = (rs: ResourceSet) =>
    [...rs].map(([type, l]) => [type, l.map((r) => `${r.name}@${r.version}`)] as const);
  /** Applies `changes`, and checks every waypoint's output against a translation from scratch. */
  const step = (...changes: Change[]): string[] => {
    const r = applyChanges(world, changes);
    assert.ok(r.changed.size > 0, 'the step changes the World');
    world = r.world;
    const { translated } = t.update(world, r.changed);
    const copy = worldOf(
      Object.values(world.objects).flatMap((table) => [...table.values()].map((o) => structuredClone(o) as KubeObject)),
    );
    for (const [key, out] of translateAll(copy, OPTS).waypoints)
      assert.deepEqual(versions(t.outputs.get(key)!.resources), versions(out.resources), key);
    return translated.sort();
  };
  const clusters = (key: string) => (t.outputs.get(key)?.ir.outbound ?? []).map((o) => o.cluster).sort();

  it('each waypoint reaches its entry host', () => {
    assert.deepEqual(clusters('one/waypoint'), ['outbound|80||api.example.com']);
    assert.deepEqual(clusters('two/waypoint'), ['outbound|80||vs.example.com']);
  });

  it('an entry of another host, edited, added or deleted, re-translates neither waypoint', () => {
    assert.deepEqual(step(upsert(entry('unrelated', 'other', ['unrelated.example.com'], { port: 8080 }))), []);
    assert.deepEqual(step(upsert(entry('more', 'other', ['more.example.com']))), []);
    assert.deepEqual(step(del('other', 'more')), []);
  });

  it("an entry declaring a waypoint's host re-translates that waypoint alone", () => {
    assert.deepEqual(
      step(upsert(entry('api', 'egress', ['api.example.com'], { port: 8080, created: '2024-01-01T00:00:00Z' }))),
      ['one/waypoint'],
    );
    assert.deepEqual(step(upsert(entry('vs', 'egress', ['vs.example.com'], { port: 8080 }))), ['two/waypoint']);
  });

  it("one that comes first in the lookup's order, in the route's namespace or older, takes over", () => {
    // Not bound to the namespace's waypoint: only the lookup reaches it.
    const here = entry('api-here', 'one', ['api.example.com'], { labels: { 'istio.io/use-waypoint': 'none' } });
    assert.deepEqual(step(upsert(here)), ['one/waypoint']);
    assert.deepEqual(clusters('one/waypoint'), ['outbound|80||api.example.com']);
    assert.deepEqual(step(del('one', 'api-here')), ['one/waypoint']);
    const older = entry('api-old', 'other', ['api.example.com'], { created: '2020-01-01T00:00:00Z' });
    assert.deepEqual(step(upsert(older)), ['one/waypoint']);
    assert.deepEqual(clusters('one/waypoint'), ['outbound|80||api.example.com']);
  });

  it('an entry that takes the host on, or gives it up, re-translates the waypoint that reads it', () => {
    assert.deepEqual(step(upsert(entry('api-old', 'other', ['elsewhere.example.com']))), ['one/waypoint']);
    assert.deepEqual(clusters('one/waypoint'), []);
    assert.deepEqual(step(upsert(entry('unrelated', 'other', ['unrelated.example.com', 'vs.example.com']))), [
      'two/waypoint',
    ]);
    assert.deepEqual(step(del('egress', 'api')), ['one/waypoint']);
    // The VirtualService's entry (the first declaring the host) gives it up to the other.
    assert.deepEqual(step(upsert(entry('vs', 'egress', ['gone.example.com']))), ['two/waypoint']);
    assert.deepEqual(clusters('two/waypoint'), ['outbound|80||vs.example.com']);
  });
});
