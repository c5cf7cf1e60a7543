// Every binding rule of waypoint-facts.md ("Binding"), one row each.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { boundCondition, buildAmbientIndex } from '../../src/ambient';
import type { KubeObject } from '../../src/model';
import { gw, gwClass, ns, pod, serviceEntry, svc, workloadEntry, worldOf } from './fixtures';

const USE = 'istio.io/use-waypoint';
const USE_NS = 'istio.io/use-waypoint-namespace';

function bindingOf(objects: KubeObject[], key: string, assumeReady = false): string {
  const b = buildAmbientIndex(worldOf(objects), { assumeReady }).bindings.get(key);
  if (!b) return 'missing';
  return b.kind === 'bound'
    ? `bound ${b.waypoint.namespace}/${b.waypoint.name} (${b.source})`
    : b.reason
      ? `${b.reason.reason}: ${b.reason.message}`
      : 'none';
}

interface Case {
  title: string;
  objects: KubeObject[];
  key: string;
  want: string;
  assumeReady?: boolean;
}

const cases: Case[] = [
  // 1. the object's label beats the namespace's; none opts out
  {
    title: 'namespace label binds a service',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a'), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'bound a/wp (namespace)',
  },
  {
    title: 'object label beats namespace label',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a'), gw('other', 'a'), svc('s', 'a', { [USE]: 'other' })],
    key: 'Service/a/s',
    want: 'bound a/other (object)',
  },
  {
    title: 'none on the object opts out of the namespace waypoint',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a'), svc('s', 'a', { [USE]: 'none' })],
    key: 'Service/a/s',
    want: 'none',
  },
  {
    title: 'none on the namespace means no waypoint',
    objects: [ns('a', { [USE]: 'none' }), gw('wp', 'a'), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'none',
  },
  {
    title: 'no label, no waypoint',
    objects: [ns('a'), gw('wp', 'a'), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'none',
  },
  {
    title: 'an object without a Namespace object binds by its own label',
    objects: [gw('wp', 'a'), svc('s', 'a', { [USE]: 'wp' })],
    key: 'Service/a/s',
    want: 'bound a/wp (object)',
  },
  // use-waypoint-namespace, on the object and on the namespace
  {
    title: "the object's use-waypoint-namespace points elsewhere",
    objects: [ns('a'), ns('b'), gw('wp', 'b', { from: 'All' }), svc('s', 'a', { [USE]: 'wp', [USE_NS]: 'b' })],
    key: 'Service/a/s',
    want: 'bound b/wp (object)',
  },
  {
    title: "the namespace's use-waypoint-namespace points elsewhere",
    objects: [ns('a', { [USE]: 'wp', [USE_NS]: 'b' }), ns('b'), gw('wp', 'b', { from: 'All' }), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'bound b/wp (namespace)',
  },
  {
    title: "the object's waypoint name is looked up in its own namespace, not the namespace label's",
    objects: [ns('a', { [USE]: 'wp', [USE_NS]: 'b' }), ns('b'), gw('mine', 'a'), svc('s', 'a', { [USE]: 'mine' })],
    key: 'Service/a/s',
    want: 'bound a/mine (object)',
  },
  // 2. missing or not ready: WaypointIsNotReady, no fall back
  {
    title: 'a missing waypoint',
    objects: [ns('a'), svc('s', 'a', { [USE]: 'ghost' })],
    key: 'Service/a/s',
    want: 'WaypointIsNotReady: waypoint a/ghost not found',
  },
  {
    title: 'a Gateway of another class is no waypoint',
    objects: [ns('a'), gw('wp', 'a', { className: 'istio' }), svc('s', 'a', { [USE]: 'wp' })],
    key: 'Service/a/s',
    want: 'WaypointIsNotReady: waypoint a/wp not found',
  },
  {
    title: 'not ready: no fall back to the namespace waypoint',
    objects: [
      ns('a', { [USE]: 'wp' }),
      gw('wp', 'a'),
      gw('new', 'a', { ready: false }),
      svc('s', 'a', { [USE]: 'new' }),
    ],
    key: 'Service/a/s',
    want: 'WaypointIsNotReady: waypoint a/new is not ready',
  },
  {
    title: 'a namespace waypoint that is not ready',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a', { ready: false }), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'WaypointIsNotReady: waypoint a/wp is not ready',
  },
  {
    title: 'a pod naming a missing waypoint',
    objects: [ns('a'), pod('p', 'a', { [USE]: 'ghost' })],
    key: 'Pod/a/p',
    want: 'WaypointIsNotReady: waypoint a/ghost not found',
  },
  {
    title: 'directory mode counts a valid waypoint without status as ready',
    objects: [ns('a'), gw('new', 'a', { ready: false }), svc('s', 'a', { [USE]: 'new' })],
    key: 'Service/a/s',
    want: 'bound a/new (object)',
    assumeReady: true,
  },
  {
    title: 'directory mode: a waypoint without the HBONE listener is not ready',
    objects: [
      ns('a'),
      gw('bad', 'a', { ready: false, listener: { name: 'http', port: 80, protocol: 'HTTP' } }),
      svc('s', 'a', { [USE]: 'bad' }),
    ],
    key: 'Service/a/s',
    want: 'WaypointIsNotReady: waypoint a/bad is not ready',
    assumeReady: true,
  },
  // 3. allowedRoutes on the HBONE listener
  {
    title: 'Same (the default) denies another namespace',
    objects: [ns('a'), ns('b'), gw('wp', 'b'), svc('s', 'a', { [USE]: 'wp', [USE_NS]: 'b' })],
    key: 'Service/a/s',
    want: 'AttachmentDenied: waypoint b/wp does not allow attachment from namespace a',
  },
  {
    title: 'Selector admits a labelled namespace',
    objects: [
      ns('a', { team: 'x' }),
      ns('b'),
      gw('wp', 'b', { from: 'Selector', selector: { team: 'x' } }),
      svc('s', 'a', { [USE]: 'wp', [USE_NS]: 'b' }),
    ],
    key: 'Service/a/s',
    want: 'bound b/wp (object)',
  },
  {
    title: 'Selector denies an unlabelled namespace',
    objects: [
      ns('a'),
      ns('b'),
      gw('wp', 'b', { from: 'Selector', selector: { team: 'x' } }),
      svc('s', 'a', { [USE]: 'wp', [USE_NS]: 'b' }),
    ],
    key: 'Service/a/s',
    want: 'AttachmentDenied: waypoint b/wp does not allow attachment from namespace a',
  },
  // 4. traffic type
  {
    title: 'a service on a workload waypoint',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a', { for: 'workload' }), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'UnsupportedTrafficType: waypoint a/wp accepts workload traffic, not service traffic',
  },
  {
    title: 'a service on an all waypoint',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a', { for: 'all' }), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'bound a/wp (namespace)',
  },
  {
    title: 'a none waypoint serves no service',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a', { for: 'none' }), svc('s', 'a')],
    key: 'Service/a/s',
    want: 'UnsupportedTrafficType: waypoint a/wp accepts none traffic, not service traffic',
  },
  {
    title: 'traffic type falls back to the GatewayClass label',
    objects: [
      gwClass('istio-waypoint', { 'istio.io/waypoint-for': 'workload' }),
      gw('wp', 'a'),
      svc('s', 'a', { [USE]: 'wp' }),
    ],
    key: 'Service/a/s',
    want: 'UnsupportedTrafficType: waypoint a/wp accepts workload traffic, not service traffic',
  },
  {
    title: "the Gateway's label beats the GatewayClass's",
    objects: [
      gwClass('istio-waypoint', { 'istio.io/waypoint-for': 'workload' }),
      gw('wp', 'a', { for: 'service' }),
      svc('s', 'a', { [USE]: 'wp' }),
    ],
    key: 'Service/a/s',
    want: 'bound a/wp (object)',
  },
  {
    title: 'a pod, by the namespace label, on a service waypoint: silently none',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a'), pod('p', 'a')],
    key: 'Pod/a/p',
    want: 'none',
  },
  {
    title: 'a pod, by its own label, on a service waypoint: the error',
    objects: [ns('a'), gw('wp', 'a'), pod('p', 'a', { [USE]: 'wp' })],
    key: 'Pod/a/p',
    want: 'UnsupportedTrafficType: waypoint a/wp accepts service traffic, not workload traffic',
  },
  {
    title: 'a pod on a workload waypoint',
    objects: [ns('a'), gw('wp', 'a', { for: 'workload' }), pod('p', 'a', { [USE]: 'wp' })],
    key: 'Pod/a/p',
    want: 'bound a/wp (object)',
  },
  {
    title: 'a pod by the namespace label on an all waypoint',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a', { for: 'all' }), pod('p', 'a')],
    key: 'Pod/a/p',
    want: 'bound a/wp (namespace)',
  },
  {
    title: 'none on a pod opts out of an all namespace waypoint',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a', { for: 'all' }), pod('p', 'a', { [USE]: 'none' })],
    key: 'Pod/a/p',
    want: 'none',
  },
  // 5. waypoints themselves
  {
    title: 'waypoint pods never get a waypoint',
    objects: [
      ns('a', { [USE]: 'wp' }),
      gw('wp', 'a', { for: 'all' }),
      pod('wp-123', 'a', { 'gateway.networking.k8s.io/gateway-name': 'wp' }),
    ],
    key: 'Pod/a/wp-123',
    want: 'none',
  },
  {
    title: "a waypoint's own Service gets no waypoint",
    objects: [
      ns('a', { [USE]: 'wp' }),
      gw('wp', 'a'),
      svc('wp', 'a', { 'gateway.networking.k8s.io/gateway-name': 'wp' }),
    ],
    key: 'Service/a/wp',
    want: 'none',
  },
  // ServiceEntry and WorkloadEntry follow the same rules
  {
    title: 'a ServiceEntry by the namespace label',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a'), serviceEntry('ext', 'a')],
    key: 'ServiceEntry/a/ext',
    want: 'bound a/wp (namespace)',
  },
  {
    title: 'a ServiceEntry on a workload waypoint by its own label',
    objects: [ns('a'), gw('wp', 'a', { for: 'workload' }), serviceEntry('ext', 'a', { [USE]: 'wp' })],
    key: 'ServiceEntry/a/ext',
    want: 'UnsupportedTrafficType: waypoint a/wp accepts workload traffic, not service traffic',
  },
  {
    title: 'a WorkloadEntry on a workload waypoint by its own label',
    objects: [ns('a'), gw('wp', 'a', { for: 'workload' }), workloadEntry('vm', 'a', { [USE]: 'wp' })],
    key: 'WorkloadEntry/a/vm',
    want: 'bound a/wp (object)',
  },
  {
    title: 'a WorkloadEntry by the namespace label on a service waypoint: silently none',
    objects: [ns('a', { [USE]: 'wp' }), gw('wp', 'a'), workloadEntry('vm', 'a')],
    key: 'WorkloadEntry/a/vm',
    want: 'none',
  },
];

describe('waypoint binding rules', () => {
  for (const c of cases) it(c.title, () => assert.equal(bindingOf(c.objects, c.key, c.assumeReady), c.want));
});

describe('the WaypointBound condition', () => {
  const index = buildAmbientIndex(
    worldOf([
      ns('a', { [USE]: 'wp' }),
      gw('wp', 'a'),
      svc('ok', 'a'),
      svc('bad', 'a', { [USE]: 'ghost' }),
      svc('out', 'a', { [USE]: 'none' }),
    ]),
  );
  const cond = (name: string) => boundCondition(index.bindings.get(`Service/a/${name}`)!);

  it('is True, WaypointAccepted, when bound', () =>
    assert.deepEqual(cond('ok'), {
      status: 'True',
      reason: 'WaypointAccepted',
      message: 'Successfully attached to waypoint a/wp',
    }));
  it('is False with the reason when not', () =>
    assert.deepEqual(cond('bad'), {
      status: 'False',
      reason: 'WaypointIsNotReady',
      message: 'waypoint a/ghost not found',
    }));
  it('is absent when the object asks for no waypoint', () => assert.equal(cond('out'), undefined));
});
