import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAmbientIndex } from '../../src/ambient';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const gw = (
  name: string,
  namespace: string,
  opts: { for?: string; ready?: boolean; from?: string; selector?: Record<string, string> } = {},
): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace, labels: opts.for ? { 'istio.io/waypoint-for': opts.for } : {} },
  spec: {
    gatewayClassName: 'istio-waypoint',
    listeners: [
      {
        name: 'mesh',
        port: 15008,
        protocol: 'HBONE',
        ...(opts.from
          ? {
              allowedRoutes: {
                namespaces: { from: opts.from, ...(opts.selector ? { selector: { matchLabels: opts.selector } } : {}) },
              },
            }
          : {}),
      },
    ],
  },
  status: opts.ready === false ? {} : { addresses: [{ type: 'IPAddress', value: '10.0.0.1' }] },
});
const svc = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { ports: [{ port: 80 }] },
});
const pod = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: {},
  status: { podIP: '10.1.0.1' },
});

function bindingOf(objects: KubeObject[], key: string, assumeReady = false): string {
  const { world } = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  );
  const b = buildAmbientIndex(world, { assumeReady }).bindings.get(key);
  if (!b) return 'missing';
  return b.kind === 'bound'
    ? `bound ${b.waypoint.namespace}/${b.waypoint.name} (${b.source})`
    : b.reason
      ? `${b.reason.reason}: ${b.reason.message}`
      : 'none';
}

describe('waypoint binding rules', () => {
  const cases: [string, KubeObject[], string, string][] = [
    [
      'namespace label binds a service',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a'), svc('s', 'a')],
      'Service/a/s',
      'bound a/wp (namespace)',
    ],
    [
      'object label beats namespace label',
      [
        ns('a', { 'istio.io/use-waypoint': 'wp' }),
        gw('wp', 'a'),
        gw('other', 'a'),
        svc('s', 'a', { 'istio.io/use-waypoint': 'other' }),
      ],
      'Service/a/s',
      'bound a/other (object)',
    ],
    [
      'none on the object opts out',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a'), svc('s', 'a', { 'istio.io/use-waypoint': 'none' })],
      'Service/a/s',
      'none',
    ],
    [
      'none on the namespace opts out',
      [ns('a', { 'istio.io/use-waypoint': 'none' }), gw('wp', 'a'), svc('s', 'a')],
      'Service/a/s',
      'none',
    ],
    ['no label, no waypoint', [ns('a'), gw('wp', 'a'), svc('s', 'a')], 'Service/a/s', 'none'],
    [
      'use-waypoint-namespace points elsewhere',
      [
        ns('a'),
        ns('b'),
        gw('wp', 'b', { from: 'All' }),
        svc('s', 'a', { 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'b' }),
      ],
      'Service/a/s',
      'bound b/wp (object)',
    ],
    [
      'missing waypoint',
      [ns('a'), svc('s', 'a', { 'istio.io/use-waypoint': 'ghost' })],
      'Service/a/s',
      'WaypointIsNotReady: waypoint a/ghost not found',
    ],
    [
      'not ready: no fall back to the namespace waypoint',
      [
        ns('a', { 'istio.io/use-waypoint': 'wp' }),
        gw('wp', 'a'),
        gw('new', 'a', { ready: false }),
        svc('s', 'a', { 'istio.io/use-waypoint': 'new' }),
      ],
      'Service/a/s',
      'WaypointIsNotReady: waypoint a/new is not ready',
    ],
    [
      'directory mode counts a valid waypoint as ready',
      [ns('a'), gw('new', 'a', { ready: false }), svc('s', 'a', { 'istio.io/use-waypoint': 'new' })],
      'Service/a/s',
      'bound a/new (object)',
    ],
    [
      'Same (default) denies another namespace',
      [
        ns('a'),
        ns('b'),
        gw('wp', 'b'),
        svc('s', 'a', { 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'b' }),
      ],
      'Service/a/s',
      'AttachmentDenied: waypoint b/wp does not allow attachment from namespace a',
    ],
    [
      'Selector admits a labelled namespace',
      [
        ns('a', { team: 'x' }),
        ns('b'),
        gw('wp', 'b', { from: 'Selector', selector: { team: 'x' } }),
        svc('s', 'a', { 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'b' }),
      ],
      'Service/a/s',
      'bound b/wp (object)',
    ],
    [
      'Selector denies an unlabelled namespace',
      [
        ns('a'),
        ns('b'),
        gw('wp', 'b', { from: 'Selector', selector: { team: 'x' } }),
        svc('s', 'a', { 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'b' }),
      ],
      'Service/a/s',
      'AttachmentDenied: waypoint b/wp does not allow attachment from namespace a',
    ],
    [
      'service on a workload waypoint',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a', { for: 'workload' }), svc('s', 'a')],
      'Service/a/s',
      'UnsupportedTrafficType: waypoint a/wp accepts workload traffic, not service traffic',
    ],
    [
      'service on an all waypoint',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a', { for: 'all' }), svc('s', 'a')],
      'Service/a/s',
      'bound a/wp (namespace)',
    ],
    [
      'pod, namespace label, service waypoint: silent',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a'), pod('p', 'a')],
      'Pod/a/p',
      'none',
    ],
    [
      'pod, own label, service waypoint: loud',
      [ns('a'), gw('wp', 'a'), pod('p', 'a', { 'istio.io/use-waypoint': 'wp' })],
      'Pod/a/p',
      'UnsupportedTrafficType: waypoint a/wp accepts service traffic, not workload traffic',
    ],
    [
      'pod on a workload waypoint',
      [ns('a'), gw('wp', 'a', { for: 'workload' }), pod('p', 'a', { 'istio.io/use-waypoint': 'wp' })],
      'Pod/a/p',
      'bound a/wp (object)',
    ],
    [
      'pod via namespace label on an all waypoint',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a', { for: 'all' }), pod('p', 'a')],
      'Pod/a/p',
      'bound a/wp (namespace)',
    ],
    [
      'waypoint pods never get a waypoint',
      [
        ns('a', { 'istio.io/use-waypoint': 'wp' }),
        gw('wp', 'a', { for: 'all' }),
        pod('wp-123', 'a', { 'gateway.networking.k8s.io/gateway-name': 'wp' }),
      ],
      'Pod/a/wp-123',
      'none',
    ],
    [
      'a none-traffic waypoint serves no service',
      [ns('a', { 'istio.io/use-waypoint': 'wp' }), gw('wp', 'a', { for: 'none' }), svc('s', 'a')],
      'Service/a/s',
      'UnsupportedTrafficType: waypoint a/wp accepts none traffic, not service traffic',
    ],
  ];
  for (const [title, objects, key, want] of cases) {
    it(title, () => assert.equal(bindingOf(objects, key, title.startsWith('directory mode')), want));
  }
});
