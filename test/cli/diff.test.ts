import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diffWorlds, type DiffReport } from '../../src/cli/diff-compute';
import { diffText } from '../../src/cli/diff-cmd';
import { readInputs } from '../../src/cli/manifest-input';
import { applyChanges, EMPTY_WORLD } from '../../src/model';
import { parseTexts } from '../../src/watch/load';

const BOOKINFO = join(__dirname, '..', '..', '..', 'examples', 'bookinfo');
const before = applyChanges(EMPTY_WORLD, readInputs([BOOKINFO]).changes).world;
const policies = readFileSync(join(BOOKINFO, 'policies.yaml'), 'utf8');

function diffOf(text: string): DiffReport {
  const parsed = parseTexts([{ file: 'change.yaml', text }]);
  assert.deepEqual(parsed.errors, []);
  return diffWorlds(before, parsed.changes, { assumeReady: true });
}

/** The bundled policies with one piece of text replaced (the test fails if it is not there). */
function edited(from: string, to: string): string {
  assert.ok(policies.includes(from), `policies.yaml still holds ${from}`);
  return policies.replace(from, to);
}

describe('diff: what each proxy would receive (ads.go: pushConnection sends what the new config translates to)', () => {
  it('reports nothing when the manifests are what is served', () => {
    const r = diffOf(policies);
    assert.equal(r.changed, false);
    assert.deepEqual(r.targets, []);
    assert.match(diffText(r), /^no changes/);
  });

  it('shows a weight change as the RDS fields of the waypoint that serves the route, and nothing for the others', () => {
    const r = diffOf(edited('weight: 90', 'weight: 70').replace('weight: 10', 'weight: 30'));
    assert.equal(r.changed, true);
    const wp = r.targets.find((t) => t.target === 'default/reviews-svc-waypoint');
    assert.ok(wp, JSON.stringify(r.targets.map((t) => t.target)));
    assert.deepEqual(
      wp.types.map((t) => t.type),
      ['RouteConfiguration'],
    );
    const rc = wp.types[0]!.resources;
    assert.deepEqual(
      rc.map((x) => [x.name, x.change]),
      [['inbound-vip|9080|http|reviews.default.svc.cluster.local', 'changed']],
    );
    const weights = rc[0]!.fields!.map((f) => [f.path.replace(/.*clusters\[name=([^\]]+)\]/, '$1'), f.before, f.after]);
    assert.deepEqual(weights, [
      ['outbound|9080||reviews-v1.default.svc.cluster.local.weight', 90, 70],
      ['outbound|9080||reviews-v2.default.svc.cluster.local.weight', 10, 30],
    ]);
    // The namespace waypoint does not serve reviews: it receives nothing new.
    assert.equal(
      r.targets.find((t) => t.target === 'default/waypoint'),
      undefined,
    );
    assert.match(diffText(r), /~ inbound-vip\|9080\|http\|reviews\.default\.svc\.cluster\.local\n.*weight: 90 → 70/);
  });

  it('shows a new backend as an added cluster and its endpoints', () => {
    const r = diffOf(edited('- name: reviews-v2\n', '- name: reviews-v3\n'));
    const wp = r.targets.find((t) => t.target === 'default/reviews-svc-waypoint')!;
    const byType = Object.fromEntries(wp.types.map((t) => [t.type, t.resources.map((x) => `${x.change} ${x.name}`)]));
    assert.ok(
      byType.Cluster?.includes('added outbound|9080||reviews-v3.default.svc.cluster.local'),
      JSON.stringify(byType),
    );
    assert.ok(
      byType.ClusterLoadAssignment?.includes('added outbound|9080||reviews-v3.default.svc.cluster.local'),
      JSON.stringify(byType),
    );
  });

  it('reports the route status and the analyzer finding a missing backend brings, and the listener policy change', () => {
    const r = diffOf(
      edited('- name: reviews-v2\n', '- name: reviews-v9\n').replace('methods: ["GET"]', 'methods: ["GET", "HEAD"]'),
    );
    const st = r.statuses.find((s) => s.kind === 'HTTPRoute' && s.name === 'reviews');
    assert.ok(st, JSON.stringify(r.statuses));
    assert.ok(
      st.fields.some((f) => JSON.stringify(f.after ?? '').includes('BackendNotFound')),
      JSON.stringify(st.fields),
    );
    assert.ok(
      r.findings.added.some((m) => m.kind === 'HTTPRoute' && m.name === 'reviews' && /reviews-v9/.test(m.text)),
      JSON.stringify(r.findings),
    );
    assert.deepEqual(r.findings.resolved, []);
    const ns = r.targets.find((t) => t.target === 'default/waypoint');
    assert.deepEqual(
      ns?.types.map((t) => t.type),
      ['Listener'],
    );
    assert.ok(JSON.stringify(ns.types[0]!.resources[0]!.fields).includes('HEAD'));
  });

  it('shows a new pod to every ztunnel (Address) and once for the Workload list every waypoint shares', () => {
    const pods = readFileSync(join(BOOKINFO, 'pods.yaml'), 'utf8');
    const first = pods.split('\n---\n').find((d) => /name: productpage-v1/.test(d));
    assert.ok(first, 'pods.yaml has a productpage pod');
    const pod = first
      .replace(/name: productpage-v1-[a-z0-9-]+/, 'name: productpage-v1-new')
      .replace(/uid: [^\n]+/, 'uid: uid-productpage-v1-new')
      .replace(/10\.42\.\d+\.\d+/g, '10.42.9.99');
    const r = diffOf(pod);
    const zt = r.targets.find((t) => t.target === 'ztunnel');
    assert.deepEqual(
      zt?.types.map((t) => [t.type, t.resources.map((x) => x.change)]),
      [['Address', ['added']]],
    );
    const shared = r.targets.filter((t) => t.types.some((x) => x.type === 'Workload'));
    assert.deepEqual(
      shared.map((t) => t.target),
      ['every waypoint'],
    );
  });
});
