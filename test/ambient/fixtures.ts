import { applyChanges, EMPTY_WORLD, type BackendRef, type KubeObject, type World } from '../../src/model';

export const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

export interface GatewayOpts {
  for?: string;
  ready?: boolean;
  from?: string;
  selector?: Record<string, string>;
  className?: string;
  listener?: { name: string; port: number; protocol: string };
}

export const gw = (name: string, namespace: string, opts: GatewayOpts = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace, labels: opts.for ? { 'istio.io/waypoint-for': opts.for } : {} },
  spec: {
    gatewayClassName: opts.className ?? 'istio-waypoint',
    listeners: [
      {
        ...(opts.listener ?? { name: 'mesh', port: 15008, protocol: 'HBONE' }),
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

export const gwClass = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name, labels },
  spec: { controllerName: 'istio.io/mesh-controller' },
});

export const svc = (
  name: string,
  namespace: string,
  labels: Record<string, string> = {},
  selector?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace, labels },
  spec: { ports: [{ port: 80 }], ...(selector ? { selector } : {}) },
});

export const pod = (
  name: string,
  namespace: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels, annotations },
  spec: {},
  status: { podIP: '10.1.0.1' },
});

export const serviceEntry = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace, labels },
  spec: { hosts: [`${name}.example.com`], ports: [{ number: 80, name: 'http' }] },
});

export const workloadEntry = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'WorkloadEntry',
  metadata: { name, namespace, labels },
  spec: { address: '10.2.0.1' },
});

export const worldOf = (objects: KubeObject[], from: World = EMPTY_WORLD): World =>
  applyChanges(
    from,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;

/** An HTTPRoute on Service `parent` (port 80) with one rule sending everything to `backendRef`. */
const routeOnService = (name: string, namespace: string, parent: string, backendRef: BackendRef): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: parent, port: 80 }],
    rules: [{ backendRefs: [backendRef] }],
  },
});

/** An HTTPRoute on Service `parent` (port 80) sending everything to `backend` (port 80) in `backendNamespace`. */
export const serviceRoute = (
  name: string,
  namespace: string,
  parent: string,
  backend: string,
  backendNamespace = namespace,
): KubeObject =>
  routeOnService(name, namespace, parent, {
    name: backend,
    ...(backendNamespace !== namespace ? { namespace: backendNamespace } : {}),
    port: 80,
  });

/** An HTTPRoute on Service `parent` (port 80) sending everything to the ServiceEntry host `host` (a `Hostname` backend). */
export const hostnameRoute = (
  name: string,
  namespace: string,
  parent: string,
  host: string,
  port: number,
): KubeObject =>
  routeOnService(name, namespace, parent, { group: 'networking.istio.io', kind: 'Hostname', name: host, port });

/** Lets HTTPRoutes of `fromNamespace` send to the Services of `namespace`. */
export const referenceGrant = (name: string, namespace: string, fromNamespace: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1beta1',
  kind: 'ReferenceGrant',
  metadata: { name, namespace },
  spec: {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: fromNamespace }],
    to: [{ group: '', kind: 'Service' }],
  },
});
