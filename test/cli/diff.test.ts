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

// Gateway API puts no pattern on a header value, so this passes load-time
// validation; Envoy refuses CR/LF in one, and serve's reject gate holds the
// RouteConfiguration back (serve-reject.test.ts).
const BAD_HEADER =
  '  rules:\n    - filters:\n        - type: RequestHeaderModifier\n          requestHeaderModifier:\n            set:\n              - name: x-note\n                value: "a\\r\\nb"\n      backendRefs:\n        - name: reviews-v1';
const REVIEWS_RULE = '  rules:\n    - backendRefs:\n        - name: reviews-v1';
const REVIEWS_RDS = 'inbound-vip|9080|http|reviews.default.svc.cluster.local';

describe('diff: resources Envoy would refuse (the reject gate serve runs before a push)', () => {
  it('reports a route Envoy would refuse, naming the waypoint and resource, and keeps the served version', () => {
    const parsed = parseTexts([{ file: 'change.yaml', text: edited(REVIEWS_RULE, BAD_HEADER) }]);
    assert.deepEqual(parsed.errors, [], 'the header value passes load-time validation');
    const r = diffWorlds(before, parsed.changes, { assumeReady: true });
    assert.equal(r.changed, true);
    assert.equal(r.rejected.length, 1, JSON.stringify(r.rejected));
    assert.match(
      r.rejected[0]!,
      /^waypoint default\/reviews-svc-waypoint: Envoy would reject RouteConfiguration inbound-vip\|9080\|http\|reviews\.default\.svc\.cluster\.local \(.*valid HTTP header value/,
    );
    assert.deepEqual(r.resolved, []);
    // The HTTPRoute gets the condition serve writes for it.
    const st = r.statuses.find((s) => s.kind === 'HTTPRoute' && s.name === 'reviews');
    assert.ok(
      st?.fields.some((f) => /istio\.io\/EnvoyAccepted/.test(JSON.stringify(f.after ?? ''))),
      JSON.stringify(r.statuses),
    );
    // Held back: the waypoint keeps the route it has, so no RDS change is shown for it.
    const wp = r.targets.find((t) => t.target === 'default/reviews-svc-waypoint');
    assert.equal(
      wp?.types.find((t) => t.type === 'RouteConfiguration'),
      undefined,
      JSON.stringify(wp),
    );
    const text = diffText(r);
    assert.match(text, /^envoy\n {2}! waypoint default\/reviews-svc-waypoint: Envoy would reject RouteConfiguration /m);
    assert.match(text, /1 resource Envoy would refuse or load with problems, 0 resolved\n$/);
  });

  it('shows the fix as resolved, with the route fields it changes; a rejection that stays is no change', () => {
    const bad = applyChanges(EMPTY_WORLD, [
      ...readInputs([BOOKINFO]).changes,
      ...parseTexts([{ file: 'bad.yaml', text: edited(REVIEWS_RULE, BAD_HEADER) }]).changes,
    ]).world;
    const fixed = diffWorlds(bad, parseTexts([{ file: 'fix.yaml', text: policies }]).changes, { assumeReady: true });
    assert.equal(fixed.changed, true);
    assert.deepEqual(fixed.rejected, []);
    assert.equal(fixed.resolved.length, 1, JSON.stringify(fixed.resolved));
    assert.match(fixed.resolved[0]!, /^waypoint default\/reviews-svc-waypoint: Envoy would reject RouteConfiguration /);
    const rds = fixed.targets
      .find((t) => t.target === 'default/reviews-svc-waypoint')
      ?.types.find((t) => t.type === 'RouteConfiguration')
      ?.resources.find((x) => x.name === REVIEWS_RDS);
    assert.equal(rds?.change, 'changed');
    assert.match(diffText(fixed), /^ {2}- resolved: waypoint default\/reviews-svc-waypoint: Envoy would reject /m);

    // Another edit to the same waypoint that leaves the bad header: the refusal is still listed, not counted.
    const same = diffWorlds(
      bad,
      parseTexts([{ file: 'same.yaml', text: edited(REVIEWS_RULE, BAD_HEADER).replace('weight: 90', 'weight: 80') }])
        .changes,
      { assumeReady: true },
    );
    // The weight is in the refused route, so no proxy receives it: no change, and the text says why.
    assert.equal(same.changed, false);
    assert.equal(same.rejected.length, 1);
    assert.deepEqual(same.resolved, []);
    assert.match(
      diffText(same),
      /^no changes: .*\nenvoy\n {2}! waypoint default\/reviews-svc-waypoint: Envoy would reject RouteConfiguration /,
    );
  });
});
