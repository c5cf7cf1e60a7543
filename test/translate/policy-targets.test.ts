// A policy's targetRefs are decided by one function (policy/targeting.ts:
// targetDecision): the waypoint attaches the policy by it and the policy's
// WaypointAccepted condition reports it. What a user reads as accepted is
// what the waypoint enforces, and a refused target is enforced nowhere.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/model';
import { gw, ns, worldOf } from '../ambient/fixtures';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

const service = (name: string, namespace: string, ip: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP: ip, ports: [{ name: 'http', port: 80 }] },
  }) as KubeObject;

const policy = (name: string, namespace: string, target: { group: string; kind: string; name: string }): KubeObject =>
  ({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace, generation: 1 },
    spec: { targetRefs: [target], action: 'DENY', rules: [{ to: [{ operation: { paths: [`/${name}`] } }] }] },
  }) as KubeObject;

const GW = 'gateway.networking.k8s.io';

const world = worldOf([
  ns('app', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }),
  ns('plain', { 'istio.io/dataplane-mode': 'ambient' }),
  ns('istio-system', {}),
  gw('waypoint', 'app'),
  gw('ingress', 'app', { className: 'istio', listener: { name: 'http', port: 80, protocol: 'HTTP' } }),
  service('echo', 'app', '10.96.0.10'),
  service('lonely', 'plain', '10.96.0.11'),
  policy('on-service', 'app', { group: '', kind: 'Service', name: 'echo' }),
  policy('on-waypoint', 'app', { group: GW, kind: 'Gateway', name: 'waypoint' }),
  policy('on-ingress', 'app', { group: GW, kind: 'Gateway', name: 'ingress' }),
  policy('on-class-from-root', 'istio-system', { group: GW, kind: 'GatewayClass', name: 'istio-waypoint' }),
  policy('on-class-from-app', 'app', { group: GW, kind: 'GatewayClass', name: 'istio-waypoint' }),
  policy('on-other-class', 'istio-system', { group: GW, kind: 'GatewayClass', name: 'istio' }),
  policy('on-missing', 'app', { group: '', kind: 'Service', name: 'nobody' }),
  policy('on-unbound', 'plain', { group: '', kind: 'Service', name: 'lonely' }),
  policy('on-deployment', 'app', { group: 'apps', kind: 'Deployment', name: 'echo' }),
]);

describe('a targetRef means the same to the waypoint and to the status (policy/targeting.ts: targetDecision)', () => {
  const out = translateAll(world, OPTS);
  const wp = out.waypoints.get('app/waypoint');
  assert.ok(wp);
  const enforced = new Set(
    [wp.ir.direct, ...wp.ir.services.flatMap((s) => s.ports.map((p) => p.policy))].flatMap((c) =>
      c.authz.map((a) => a.name),
    ),
  );
  const accepted = (name: string) => {
    const s = out.statuses.find((x) => x.kind === 'AuthorizationPolicy' && x.name === name);
    const c = s?.parents?.[0]?.conditions.find((x) => x.type === 'WaypointAccepted');
    assert.ok(c, `no WaypointAccepted on ${name}`);
    return [c.status, c.reason];
  };

  const cases: [string, [string, string], boolean][] = [
    ['on-service', ['True', 'Accepted'], true],
    ['on-waypoint', ['True', 'Accepted'], true],
    ['on-class-from-root', ['True', 'Accepted'], true],
    ['on-ingress', ['False', 'TargetNotFound'], false],
    ['on-class-from-app', ['False', 'Invalid'], false],
    ['on-other-class', ['False', 'TargetNotFound'], false],
    ['on-missing', ['False', 'TargetNotFound'], false],
    ['on-unbound', ['False', 'AncestorNotBound'], false],
    ['on-deployment', ['False', 'Invalid'], false],
  ];
  for (const [name, condition, onWaypoint] of cases)
    it(`${name}: WaypointAccepted ${condition.join('/')}, ${onWaypoint ? '' : 'not '}enforced by the waypoint`, () => {
      assert.deepEqual(accepted(name), condition);
      assert.equal(enforced.has(name), onWaypoint);
    });
});
