// A resource Envoy would refuse never reaches a proxy: an HTTPRoute whose
// header regex RE2 cannot compile leaves the waypoint with the route
// configuration it had, every other resource moves on, the HTTPRoute says
// why, and the log says it once rather than on every step.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { nsName, svcName } from '../../bench/mesh';
import { meshWorld } from '../../bench/translate-bench';
import { ServeStep } from '../../src/server/pipeline-step';
import { RejectGate, rejectzJson } from '../../src/server/pipeline-reject';
import { prepare, TypeUrl } from '../../src/envoy';
import { applyChanges, get, type Change, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../../src/translate';
import { ENVOY_ACCEPTED } from '../../src/translate/status/status-rejections';
import { SotwClient, unpack, type SotwResponse } from '../support/xds-client';
import { startXds } from '../support/xds-harness';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };
const WAYPOINT = `${nsName(0)}/waypoint`;
const rds = (svc: number) => `inbound-vip|80|http|${svcName(svc)}.${nsName(0)}.svc.cluster.local`;
const RDS = rds(1);

interface Rc {
  name: string;
  virtual_hosts: { routes: { match: { headers?: { name: string }[] } }[] }[];
}
const headerNames = (rc: Rc | undefined) =>
  (rc?.virtual_hosts[0]?.routes ?? [])
    .flatMap((r) => (r.match.headers ?? []).map((h) => h.name))
    .filter((n) => n !== 'x-canary');

describe('reject gate', async () => {
  const x = await startXds();
  const lines: { level: number; msg: string; resource?: string }[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as (typeof lines)[number]);
        cb();
      },
    }),
  );
  let clock = 0;
  const gate = new RejectGate(log, { logEveryMs: 60_000, now: () => clock });
  // Only the waypoints' own: other views (proxyless) may carry warnings of their own.
  const mine = () => gate.rejections().filter((r) => r.waypoint === WAYPOINT);
  const translator = new IncrementalTranslator(OPTS);
  const step = new ServeStep(translator, x.cache, OPTS, gate);
  let world = meshWorld(20, { servicesPerNamespace: 10 });
  const run = (changes: Change[]) => {
    const r = applyChanges(world, changes);
    world = r.world;
    return step.run(world, r.changed).step;
  };
  const route = get(world, 'HTTPRoute', nsName(0), svcName(1)) as KubeObject & {
    spec: { rules: { matches?: unknown[] }[] };
  };
  const withHeader = (value: string): KubeObject => ({
    ...route,
    spec: {
      ...route.spec,
      rules: route.spec.rules.map((rule, i) =>
        i === 0
          ? { ...rule, matches: [{ headers: [{ type: 'RegularExpression', name: `x-${value.length}`, value }] }] }
          : rule,
      ),
    },
  });
  const client = new SotwClient(x.address, { id: WAYPOINT });
  after(async () => {
    client.close();
    await x.close();
  });
  const routes = async (): Promise<Map<string, Rc>> => {
    const r: SotwResponse = await client.next();
    client.ack(r);
    return new Map(r.resources.map((a) => unpack<Rc>(a)).map((rc) => [rc.name, rc]));
  };

  await it('serves a valid regex', async () => {
    step.run(world, 'all');
    run([{ op: 'upsert', object: withHeader('^ok.*$') }]);
    client.send({ type_url: TypeUrl.Route, resource_names: [RDS] });
    assert.deepEqual(headerNames((await routes()).get(RDS)), ['x-6']);
    assert.deepEqual(mine(), []);
  });

  await it('keeps the last accepted version when the new one would be rejected', async () => {
    const cds = x.cache.get(WAYPOINT, TypeUrl.Cluster);
    const otherBefore = x.cache.get(WAYPOINT, TypeUrl.Route).get(rds(2));
    const other = get(world, 'HTTPRoute', nsName(0), svcName(2)) as KubeObject & { spec: object };
    const s = run([
      { op: 'upsert', object: withHeader('(?=lookahead)') },
      // Another change in the same step, to another resource of the same waypoint, still goes out.
      { op: 'upsert', object: { ...other, spec: { ...other.spec, rules: [] } } },
    ]);
    assert.ok(s.translated.includes(WAYPOINT));
    const held = x.cache.get(WAYPOINT, TypeUrl.Route).get(RDS);
    assert.deepEqual(
      headerNames(unpack<Rc>({ type_url: TypeUrl.Route, value: held!.body })),
      ['x-6'],
      'the cache keeps the accepted route configuration',
    );
    // Whatever the step queued goes out now; the client was sent none of it.
    x.server.flushNow();
    await x.quiet(client);
    assert.notEqual(x.cache.get(WAYPOINT, TypeUrl.Route).get(rds(2))?.version, otherBefore?.version);
    assert.equal(x.cache.get(WAYPOINT, TypeUrl.Cluster), cds);
    const [rej] = mine();
    assert.equal(rej?.name, RDS);
    assert.deepEqual(rej?.sources, [{ kind: 'HTTPRoute', namespace: nsName(0), name: svcName(1) }]);
    assert.match(rej?.violations[0]?.path ?? '', /safe_regex\.regex$/);
    const status = gate
      .statuses(s.statuses)
      .find((st) => st.kind === 'HTTPRoute' && st.name === svcName(1) && st.namespace === nsName(0));
    const cond = status?.parents?.[0]?.conditions.find((c) => c.type === ENVOY_ACCEPTED);
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Rejected');
    assert.match(cond?.message ?? '', /not a valid RE2 regular expression/);
    assert.match(JSON.stringify(rejectzJson(gate.rejections())), /HTTPRoute\/bench-000\/svc-00001/);
    assert.equal(lines.filter((l) => l.level === 40 && l.resource === RDS).length, 1);
  });

  await it('logs a persisting rejection again only after the interval', async () => {
    const ns = get(world, 'Service', nsName(0), svcName(1)) as KubeObject;
    run([{ op: 'upsert', object: { ...ns, metadata: { ...ns.metadata, annotations: { touched: '1' } } } }]);
    assert.equal(lines.filter((l) => l.level === 40 && l.resource === RDS).length, 1);
    clock += 61_000;
    run([{ op: 'upsert', object: { ...ns, metadata: { ...ns.metadata, annotations: { touched: '2' } } } }]);
    assert.equal(lines.filter((l) => l.level === 40 && l.resource === RDS).length, 2);
    assert.equal(mine().length, 1);
  });

  await it('pushes again once the route is fixed, and the condition goes', async () => {
    const s = run([{ op: 'upsert', object: withHeader('^fixed$') }]);
    assert.deepEqual(headerNames((await routes()).get(RDS)), ['x-7']);
    assert.deepEqual(mine(), []);
    assert.ok(!JSON.stringify(gate.statuses(s.statuses)).includes(ENVOY_ACCEPTED));
    assert.ok(lines.some((l) => l.msg === 'resource no longer rejected'));
  });
});

describe('reject gate on patched views', () => {
  it('drops a proxyless resource that fails, keeps the rest, and forgets it once removed', () => {
    const gate = new RejectGate();
    const good = prepare('envoy.config.cluster.v3.Cluster', 'good', {
      name: 'good',
      type: 'EDS',
      connect_timeout: { seconds: 1 },
      eds_cluster_config: { eds_config: { ads: {} } },
    });
    const bad = prepare('envoy.config.cluster.v3.Cluster', 'bad', { name: 'bad', connect_timeout: { seconds: -1 } });
    const admitted = gate.admitPatch('proxyless', TypeUrl.Cluster, [good, bad], [], 'grpc');
    assert.deepEqual(
      admitted.map((r) => r.name),
      ['good'],
    );
    assert.deepEqual(
      gate.rejections().map((r) => [r.waypoint, r.name, r.blocking]),
      [['proxyless', 'bad', true]],
    );
    // Another type's patch leaves it; removing the name settles it.
    gate.admitPatch('proxyless', TypeUrl.Listener, [], ['bad'], 'grpc');
    assert.equal(gate.rejections().length, 1);
    gate.admitPatch('proxyless', TypeUrl.Cluster, [], ['bad'], 'grpc');
    assert.deepEqual(gate.rejections(), []);
  });
});

describe('reject gate across translations', () => {
  it('finds a refused resource among reused ones, on every step it stays, and forgets it once replaced', () => {
    const gate = new RejectGate();
    const world = meshWorld(10, { servicesPerNamespace: 10 });
    const translator = new IncrementalTranslator(OPTS);
    translator.update(world, 'all');
    const out = translator.outputs.get(WAYPOINT);
    assert.ok(out);
    const none = () => undefined;
    const clusters = out.resources.get(TypeUrl.Cluster) ?? [];
    const first = clusters[0];
    assert.ok(first && clusters.length > 2);
    assert.equal(gate.admit(out, none).get(TypeUrl.Cluster)?.length, clusters.length);
    assert.deepEqual(gate.rejections(), []);
    // The next translation reuses every other cluster object and rebuilds one, badly.
    const bad = prepare('envoy.config.cluster.v3.Cluster', first.name, {
      name: first.name,
      connect_timeout: { seconds: -1 },
    });
    const broken = { ...out, resources: new Map(out.resources).set(TypeUrl.Cluster, [bad, ...clusters.slice(1)]) };
    for (let step = 0; step < 2; step++) {
      const names = (gate.admit(broken, none).get(TypeUrl.Cluster) ?? []).map((r) => r.name);
      assert.equal(names.includes(first.name), false, `step ${step}`);
      assert.deepEqual(
        gate.rejections().map((r) => r.name),
        [first.name],
      );
    }
    gate.admit(out, none);
    assert.deepEqual(gate.rejections(), []);
  });
});
