// Manifests for proxyless tests: echo (v1, v2 pods on 127.0.0.1), a header match,
// a timed rule and a 90/10 split, and a GRPCRoute on `split`.
export function proxylessManifests(p1: number, p2: number): string {
  const svc = (name: string, selector: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec:\n  clusterIP: 10.96.7.${name.length}\n  selector: {${selector}}\n  ports: [{name: grpc, port: 7000, targetPort: grpc, appProtocol: grpc}]\n`;
  const pod = (v: string, port: number) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: echo-${v}-abc12, namespace: app, labels: {app: echo, version: ${v}}}\nspec:\n  containers: [{name: echo, ports: [{name: grpc, containerPort: ${port}}]}]\nstatus: {phase: Running, podIP: 127.0.0.1, conditions: [{type: Ready, status: "True"}]}\n`;
  return [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {istio.io/dataplane-mode: ambient}}\n',
    svc('echo', 'app: echo'),
    svc('echo-v1', 'app: echo, version: v1'),
    svc('echo-v2', 'app: echo, version: v2'),
    svc('split', 'app: echo'),
    pod('v1', p1),
    pod('v2', p2),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo, namespace: app}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 7000}]
  rules:
  - matches: [{headers: [{name: x-variant, value: b}]}]
    backendRefs: [{name: echo-v2, port: 7000}]
  - matches: [{path: {type: PathPrefix, value: /test.Echo/Slow}}]
    timeouts: {request: 200ms}
    backendRefs: [{name: echo-v1, port: 7000}]
  - backendRefs: [{name: echo-v1, port: 7000, weight: 90}, {name: echo-v2, port: 7000, weight: 10}]
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: split, namespace: app}
spec:
  parentRefs: [{group: "", kind: Service, name: split}]
  rules:
  - name: slow-to-v2
    matches: [{method: {service: test.Echo, method: Slow}}]
    backendRefs: [{name: echo-v2, port: 7000}]
  - backendRefs: [{name: echo-v1, port: 7000, weight: 70}, {name: echo-v2, port: 7000, weight: 30}]
`,
  ].join('---\n');
}

/** An xDS bootstrap for a proxyless node (GENERATOR=grpc) pointed at our server. */
export function proxylessBootstrap(xdsPort: number, client: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    xds_servers: [
      { server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node: {
      id: `sidecar~127.0.0.1~${client}.app~app.svc.cluster.local`,
      metadata: { GENERATOR: 'grpc', NAMESPACE: 'app' },
      locality: { region: 'r1', zone: 'z1' },
    },
    ...extra,
  });
}
