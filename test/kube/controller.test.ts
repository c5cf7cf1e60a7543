// serve in Kubernetes mode, two replicas against the test server: one leader
// writes waypoint Deployments/Services/ServiceAccounts and statuses; when it
// stops the other takes over; a kubectl edit reaches a waypoint over xDS.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/envoy';
import { withBearer } from '../../src/cli/xds-query';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { adsChannel, DeltaClient, unpack } from '../support/xds-client';
import { PROJECT_ROOT, runCli, startServe, type Served } from '../e2e/serve-process';
import { KUBECTL, runKubectl } from './kubectl';
import { grantsOf, ungranted, unusedGrants, verbsUsed } from './rbac';
import { startKubeServer, type KubeServer } from './server';
import { until } from '../support/until';

const WAYPOINT_NODE = 'waypoint~10.42.2.9~waypoint-6f7b665c89-6hppr.default~default.svc.cluster.local';

const target = 'targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]';
const parent = 'parentRefs: [{group: "", kind: Service, name: details, port: 9080}]';
const EVERY_STATUS_KIND = [
  `apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: grpc, namespace: default}\nspec:\n  ${parent}\n  rules: [{backendRefs: [{name: details, port: 9080}]}]`,
  `apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: tcp, namespace: default}\nspec:\n  ${parent}\n  rules: [{backendRefs: [{name: details, port: 9080}]}]`,
  `apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TLSRoute\nmetadata: {name: tls, namespace: default}\nspec:\n  ${parent}\n  hostnames: [details.example]\n  rules: [{backendRefs: [{name: details, port: 9080}]}]`,
  `apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: default}\nspec:\n  ${target}\n  jwtRules: [{issuer: https://issuer.example, jwksUri: https://issuer.example/keys}]`,
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: logs, namespace: default}\nspec:\n  ${target}\n  accessLogging: [{providers: [{name: envoy}]}]`,
  `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: wasm, namespace: default}\nspec:\n  ${target}\n  url: oci://example/plugin:1`,
  // A waypoint tuned by a ConfigMap, as istiod's parametersRef overlays its Deployment.
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tuned-params, namespace: default}\ndata:\n  deployment: |\n    spec:\n      replicas: 3\n      template:\n        spec:\n          containers:\n          - name: istio-proxy\n            resources: {requests: {cpu: 250m}}`,
  `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: tuned, namespace: default}\nspec:\n  gatewayClassName: istio-waypoint\n  infrastructure: {parametersRef: {group: "", kind: ConfigMap, name: tuned-params}}\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]`,
  `apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef, namespace: default}\nspec:\n  ${target}\n  configPatches: []`,
  // A CA bundle a BackendTLSPolicy names: read by name, not watched with every ConfigMap.
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ratings-ca, namespace: default}\ndata: {ca.crt: "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"}`,
  `apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: btls-ca, namespace: default}\nspec:\n  targetRefs: [{group: "", kind: Service, name: ratings}]\n  validation: {hostname: ratings.example, caCertificateRefs: [{group: "", kind: ConfigMap, name: ratings-ca}]}`,
  `apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: btls, namespace: default}\nspec:\n  targetRefs: [{group: "", kind: Service, name: details}]\n  validation: {hostname: details.example, wellKnownCACertificates: System}`,
  `apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XBackendTrafficPolicy\nmetadata: {name: budget, namespace: default}\nspec:\n  targetRefs: [{group: "", kind: Service, name: details}]\n  retryConstraint: {budget: {percent: 20}}`,
  `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext, namespace: default, labels: {istio.io/use-waypoint: waypoint}}\nspec:\n  hosts: [ext.example]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS`,
  // A key pair a DestinationRule names: the waypoint's service account is reviewed before it is sent over SDS.
  `apiVersion: v1\nkind: Secret\nmetadata: {name: details-client, namespace: default}\ntype: kubernetes.io/tls\nstringData: {tls.crt: chain, tls.key: key}`,
  `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: details-mtls, namespace: default}\nspec:\n  host: details\n  trafficPolicy: {tls: {mode: MUTUAL, credentialName: details-client}}`,
].join('\n---\n');

type Any = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe(
  'serve against Kubernetes: controller, leader election, kubectl edits',
  { skip: !KUBECTL && 'kubectl not installed' },
  () => {
    let srv: KubeServer;
    let dir: string;
    let kc: string;
    let ca: TestCa | undefined;
    const replicas: Served[] = [];
    const k = async (args: string[], stdin?: string) => {
      const r = await runKubectl(kc, args, stdin);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const leaders = () =>
      replicas.filter(
        (r) =>
          r.proc.exitCode === null &&
          r.logs.filter((l) => l.msg === 'became leader').length >
            r.logs.filter((l) => l.msg === 'stopped leading').length,
      );

    before(async () => {
      srv = await startKubeServer({
        tokenReview: (token, audiences) =>
          token === 'waypoint-token' && audiences.includes('istio-ca')
            ? { authenticated: true, user: { username: 'system:serviceaccount:default:waypoint' }, audiences }
            : { authenticated: false, error: 'invalid bearer token' },
      });
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-ctl-'));
      kc = srv.writeKubeconfig(dir);
      await k(['apply', '-f', join(PROJECT_ROOT, 'examples', 'bookinfo')]);
      // One object of every other kind the control plane reports status on.
      await k(['apply', '-f', '-'], EVERY_STATUS_KIND);
      const tls = OPENSSL ? (ca = makeCa()).issue('istiod-lite', ['DNS:localhost']) : undefined;
      // A webhook configuration whose webhook cannot be reached yet: the servers
      // fill in its CA bundle, and keep it on Ignore since no probe is refused.
      srv.put({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'istiod-lite-validator' },
        webhooks: [
          {
            name: 'validation.istiod-lite.io',
            failurePolicy: 'Ignore',
            clientConfig: { url: 'https://127.0.0.1:1/validate' },
            rules: [{ operations: ['CREATE'], apiGroups: ['security.istio.io'], apiVersions: ['*'], resources: ['*'] }],
          },
        ],
      } as never);
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await startServe([
            ...(tls
              ? [
                  ...['--xds-tls-port', '0', '--tls-cert-file', tls.cert, '--tls-key-file', tls.key],
                  ...['--webhook-port', '0', '--webhook-ca-file', ca!.caFile],
                ]
              : []),
            '--kubeconfig',
            kc,
            '--lease-duration',
            '2s',
            '--lease-renew',
            '300ms',
            '--debounce-after',
            '20ms',
          ]),
        );
      }
    });
    after(async () => {
      for (const r of replicas) await r.stop();
      await srv.close();
      ca?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates each waypoint Deployment, Service and ServiceAccount as the facts describe', async () => {
      const dep = (await until(
        () => srv.get('apps/v1', 'Deployment', 'default', 'waypoint'),
        'waypoint Deployment',
      )) as Any;
      const gw = srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'waypoint')!;
      assert.equal(dep.metadata.ownerReferences[0].uid, gw.metadata.uid);
      assert.equal(dep.metadata.labels['gateway.networking.k8s.io/gateway-name'], 'waypoint');
      assert.equal(dep.metadata.labels['gateway.istio.io/managed'], 'istio.io-mesh-controller');
      const pod = dep.spec.template;
      assert.equal(pod.metadata.labels['istio.io/dataplane-mode'], 'none');
      assert.equal(pod.metadata.labels['sidecar.istio.io/inject'], 'false');
      const c = pod.spec.containers[0];
      assert.equal(c.name, 'istio-proxy');
      assert.deepEqual(c.args.slice(0, 2), ['proxy', 'waypoint']);
      assert.deepEqual(
        c.ports.map((p: Any) => `${p.name}:${p.containerPort}`),
        ['metrics:15020', 'status-port:15021', 'http-envoy-prom:15090'],
      );
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/healthz/ready', port: 15021 });
      const svc = (await until(() => srv.get('v1', 'Service', 'default', 'waypoint'), 'waypoint Service')) as Any;
      assert.ok(svc.spec.ports.some((p: Any) => p.name === 'mesh' && p.port === 15008 && p.appProtocol === 'hbone'));
      await until(() => srv.get('v1', 'ServiceAccount', 'default', 'reviews-svc-waypoint'), 'ServiceAccount');
      await until(
        () => srv.get('gateway.networking.k8s.io/v1', 'GatewayClass', undefined, 'istio-waypoint'),
        'GatewayClass',
      );
    });

    it("overlays a waypoint's Deployment with its parametersRef ConfigMap, as istiod does", async () => {
      const dep = (await until(() => srv.get('apps/v1', 'Deployment', 'default', 'tuned'), 'tuned Deployment')) as Any;
      assert.equal(dep.spec.replicas, 3);
      const c = dep.spec.template.spec.containers[0];
      assert.equal(c.name, 'istio-proxy', 'merged into the generated container, not added beside it');
      assert.deepEqual(c.resources.requests, { cpu: '250m', memory: '128Mi' });
      assert.deepEqual(c.args.slice(0, 2), ['proxy', 'waypoint']);
    });

    it('elects exactly one writer', async () => {
      await until(() => leaders().length === 1, 'a leader');
      // Both replicas go on with election rounds (a read of the Lease each, every 300 ms): still one leader after two each.
      const leaseReads = () =>
        srv.calls.filter(
          (c) =>
            c.method === 'GET' &&
            c.url.split('?')[0] === '/apis/coordination.k8s.io/v1/namespaces/istio-system/leases/istiod-lite-leader',
        ).length;
      const seen = leaseReads();
      await until(() => leaseReads() >= seen + 4, 'two more election rounds of each replica');
      assert.equal(leaders().length, 1);
      const lease = srv.get('coordination.k8s.io/v1', 'Lease', 'istio-system', 'istiod-lite-leader') as Any;
      assert.ok(lease.spec.holderIdentity);
    });

    it('writes statuses: Gateway Programmed once the Service has HBONE endpoints, route parents, WaypointBound', async () => {
      const cond = (o: Any | undefined, type: string) =>
        (o?.status?.conditions as Any[] | undefined)?.find((c) => c.type === type);
      await until(
        () =>
          cond(srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'waypoint'), 'Programmed')?.reason ===
          'AddressNotUsable',
        'Programmed=False',
      );
      await k(
        ['apply', '-f', '-'],
        'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: waypoint-abcde\n  namespace: default\n  labels: {kubernetes.io/service-name: waypoint}\naddressType: IPv4\nendpoints:\n- addresses: [10.42.2.9]\n  conditions: {ready: true}\nports:\n- {name: mesh, port: 15008}\n',
      );
      const gw = await until(() => {
        const g = srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'waypoint') as Any;
        return cond(g, 'Programmed')?.status === 'True' && g;
      }, 'Programmed=True');
      assert.deepEqual(
        gw.status.addresses.map((a: Any) => a.type),
        ['IPAddress', 'Hostname'],
      );
      assert.equal(gw.status.addresses[1].value, 'waypoint.default.svc.cluster.local');
      // Accepted is decided once, by the translator's status pass; the controller adds Programmed after it.
      assert.deepEqual(
        (gw.status.conditions as Any[]).map((c) => `${c.type}=${c.status}:${c.reason}`),
        ['Accepted=True:Accepted', 'Programmed=True:Programmed'],
      );
      const route = (await until(
        () =>
          (srv.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'reviews') as Any)?.status?.parents &&
          srv.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'reviews'),
        'route status',
      )) as Any;
      assert.equal(route.status.parents[0].controllerName, 'istio.io/mesh-controller');
      assert.equal(route.status.parents[0].conditions.find((c: Any) => c.type === 'Accepted').status, 'True');
      const svc = (await until(
        () =>
          cond(srv.get('v1', 'Service', 'default', 'reviews'), 'istio.io/WaypointBound') &&
          srv.get('v1', 'Service', 'default', 'reviews'),
        'WaypointBound',
      )) as Any;
      assert.equal(
        cond(svc, 'istio.io/WaypointBound')!.message,
        'Successfully attached to waypoint default/reviews-svc-waypoint',
      );
    });

    it('delivers a kubectl edit of a route to a waypoint as one RDS update', async () => {
      const xds = replicas.find((r) => r.proc.exitCode === null)!;
      const c = new DeltaClient(`127.0.0.1:${xds.xdsPort}`, {
        id: 'waypoint~10.42.2.10~reviews-svc-waypoint-c49f9f569-b492t.default~default.svc.cluster.local',
        metadata: { NAMESPACE: 'default' },
      });
      try {
        c.send({ type_url: TypeUrl.Route, subscribe: ['inbound-vip|9080|http|reviews.default.svc.cluster.local'] });
        const first = await c.next();
        c.ack(first);
        await k([
          'patch',
          'httproute',
          'reviews',
          '--type',
          'json',
          '-p',
          '[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":70},{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":30}]',
        ]);
        const next = await c.next(10_000);
        const rc = unpack<Any>(next.resources[0]!.resource!);
        assert.deepEqual(
          rc.virtual_hosts[0].routes[0].route.weighted_clusters.clusters.map((x: Any) => x.weight.value),
          [70, 30],
        );
      } finally {
        c.close();
      }
    });

    it('waypoint apply --wait returns once the controller reports the waypoint Programmed', async () => {
      const applying = runCli([
        'waypoint',
        'apply',
        '-n',
        'default',
        '--name',
        'w2',
        '--wait',
        '--waypoint-timeout',
        '30s',
        '--kubeconfig',
        kc,
      ]);
      await until(() => srv.get('v1', 'Service', 'default', 'w2'), 'the w2 Service');
      await k(
        ['apply', '-f', '-'],
        'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: w2-abcde\n  namespace: default\n  labels: {kubernetes.io/service-name: w2}\naddressType: IPv4\nendpoints:\n- addresses: [10.42.2.77]\n  conditions: {ready: true}\nports:\n- {name: mesh, port: 15008}\n',
      );
      const r = await applying;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'waypoint default/w2 applied\nwaypoint default/w2 is ready\n');
    });

    it(
      'is granted by the deploy/ RBAC exactly the verbs the code uses',
      { skip: !OPENSSL && 'openssl not installed' },
      async () => {
        // A proxy authenticating on the TLS port is what makes the control plane review tokens.
        const live = replicas.find((r) => r.proc.exitCode === null)!;
        const port = Number(live.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
        const creds = withBearer(grpc.credentials.createSsl(ca!.read(ca!.caFile)), 'waypoint-token');
        const ch = adsChannel(`localhost:${port}`, creds);
        const c = new DeltaClient(
          `localhost:${port}`,
          { id: WAYPOINT_NODE, metadata: { NAMESPACE: 'default' } },
          {},
          ch,
        );
        try {
          c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
          await c.next(10_000);
        } finally {
          c.close();
          ch.close();
        }
        // The waypoint is translated when its proxy connects (ads.go: initConnection); the key pair
        // its DestinationRule names is then reviewed for its service account (sds.go: filterAuthorizedResources).
        await until(
          () => srv.calls.some((x) => x.method === 'POST' && /subjectaccessreviews/.test(x.url)),
          'the secret access review',
        );
        await until(
          () => srv.get('security.istio.io/v1', 'RequestAuthentication', 'default', 'jwt')?.status,
          'policy statuses',
        );
        // Its WaypointBound condition, and the addresses the leader allocated (ipallocate.go), side by side.
        await until(() => {
          const st = srv.get('networking.istio.io/v1', 'ServiceEntry', 'default', 'ext')?.status as Any | undefined;
          return st?.conditions?.length > 0 && st?.addresses?.length === 2;
        }, 'entry status with conditions and allocated addresses');
        // The CA bundle was read by name: the policy's reference resolves.
        const btls = (await until(
          () =>
            JSON.stringify(
              srv.get('gateway.networking.k8s.io/v1', 'BackendTLSPolicy', 'default', 'btls-ca')?.status ?? '',
            ).includes('ResolvedRefs') &&
            srv.get('gateway.networking.k8s.io/v1', 'BackendTLSPolicy', 'default', 'btls-ca'),
          'CA-bundle policy status',
        )) as Any;
        const resolved = btls.status.ancestors[0].conditions.find((c: Any) => c.type === 'ResolvedRefs');
        assert.equal(resolved.status, 'True', JSON.stringify(btls.status));
        assert.ok(
          !srv.calls.some((x) => x.method === 'GET' && /^\/api\/v1\/configmaps(\?|$)/.test(x.url)),
          'ConfigMaps are never listed across the cluster',
        );
        const grants = grantsOf(readFileSync(join(PROJECT_ROOT, 'deploy', 'istiod-lite.yaml'), 'utf8'));
        // kubectl and the waypoint command (field manager istiod-lite) act with the user's rights.
        const used = verbsUsed(
          srv.calls.filter((x) => !/kubectl/.test(x.agent) && !/fieldManager=istiod-lite(&|$)/.test(x.url)),
        );
        const missing = ungranted(used, grants);
        assert.deepEqual(missing, [], 'every call the code made is granted by deploy/istiod-lite.yaml');
        const unused = unusedGrants(used, grants);
        assert.deepEqual(unused, [], 'deploy/istiod-lite.yaml grants nothing the code did not use');
      },
    );

    it('refuses an object that got in without the webhook: Accepted=False, reason Invalid, the field path', async () => {
      // Stored directly, as an object older than the webhook would be.
      srv.put({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'sneaked', namespace: 'default', generation: 1 },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'details', port: 9080 }],
          rules: [{ matches: [{ headers: [{ type: 'RegularExpression', name: 'x-user', value: '[a-' }] }] }],
        },
      } as never);
      const st = (await until(
        () => srv.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'sneaked')?.status,
        'refused route status',
      )) as Any;
      const c = st.parents[0].conditions[0];
      assert.equal(c.type, 'Accepted');
      assert.equal(c.status, 'False');
      assert.equal(c.reason, 'Invalid');
      assert.match(c.message, /^refused: spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.value: invalid regex/);
    });

    it('fails over when the leader stops, and the new leader keeps writing', async () => {
      const [leader] = leaders();
      assert.ok(leader);
      await leader.stop();
      await until(() => leaders().length === 1 && leaders()[0] !== leader, 'a new leader', 10_000);
      await k(
        ['apply', '-f', '-'],
        'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: late, namespace: default}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n',
      );
      await until(() => srv.get('apps/v1', 'Deployment', 'default', 'late'), 'Deployment from the new leader');
    });
  },
);
