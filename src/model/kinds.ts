import { all, obj, run, strMap, type Check } from './checks';
import { failClosedPolicy } from './fail-closed';
import { meshConfigMap } from './mesh-schema';
import type { AuthorizationPolicy } from './istio';
import { MESH_CONFIGMAP, ROOT_NAMESPACE } from './labels';
import type { KubeObject } from './meta';
import * as s from './schemas';
import * as bp from './backend-policy';
import * as r from './istio-rules';
import { virtualServiceSpec } from './virtual-service-schema';
import { isCredentialSecret, SECRET_FIELD_SELECTOR, trimSecret } from './secret';
import { envoyFilterRules } from './envoy-filter-rules';
import { serviceEntryRules } from './service-entry-rules';

/** How each kind we read is spelled in the API, and a check of the fields we rely on. */
export interface KindInfo {
  kind: string;
  group: string;
  /** Versions we accept; the first is the one we ask the API server for. */
  versions: string[];
  plural: string;
  namespaced: boolean;
  /** Problems with the fields we read, each `path: problem` (e.g. `spec.listeners[0].port: must be …`). */
  validate(o: unknown): string[];
  /** Objects of this kind we keep; others (say, unrelated ConfigMaps) are not our input. */
  relevant?(o: KubeObject): boolean;
  /**
   * For a kind where refusing an invalid object would fail open: the form of
   * it that is served anyway (carrying the problems in `invalid`), or undefined to refuse it.
   */
  failClosed?(o: KubeObject, problems: readonly string[]): KubeObject | undefined;
  /** The part of an object we keep, when most of it is never read (say, a Node's status). */
  trim?(o: KubeObject): KubeObject;
  /**
   * Where the Kubernetes source watches this kind, when not every namespace:
   * one namespace and a field selector, so the server needs only a Role there.
   */
  watchScope?: { namespace?: string; fieldSelector: string };
}

function kind(
  kind: string,
  group: string,
  versions: string[],
  plural: string,
  namespaced: boolean,
  shape: Check = s.object(),
): KindInfo {
  return { kind, group, versions, plural, namespaced, validate: (o) => run(shape, o) };
}

/** An object whose kind-specific fields live under `spec` (and `status`). */
const specced = (spec: Check, opts: { required?: boolean; status?: Check } = {}): Check =>
  s.object({ spec, ...(opts.status ? { status: opts.status } : {}) }, opts.required ? ['spec'] : []);

/** An object reduced to its identity and labels. */
function trimToLabels(o: KubeObject): KubeObject {
  const { name, labels } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name, ...(labels ? { labels } : {}) } };
}

const GW = 'gateway.networking.k8s.io';

function hasCaBundle(o: KubeObject): boolean {
  const data = (o as KubeObject & { data?: Record<string, unknown> }).data;
  return data !== undefined && data !== null && ('ca.crt' in data || 'cacert' in data);
}
const ISTIO_NET = 'networking.istio.io';
const ISTIO_SEC = 'security.istio.io';

/**
 * Every kind the control plane reads, in one registry. Versions are those the
 * Gateway API v1.5.1 and Istio 1.30 CRDs serve, plus older ones still found in
 * manifests; the first is the one informers list, chosen to exist on the widest
 * range of clusters.
 */
export const KINDS: readonly KindInfo[] = [
  kind('Namespace', '', ['v1'], 'namespaces', false),
  // The mesh config (`istio` ConfigMap) declares extension providers; only it is
  // watched against a cluster. CA bundles that BackendTLSPolicies name are kept
  // from manifests, and read by name against a cluster (watch/ca-bundles.ts).
  {
    ...kind('ConfigMap', '', ['v1'], 'configmaps', true, all(s.object({ data: strMap }), meshConfigMap)),
    // And CA bundles a BackendTLSPolicy may name (credentials/kube/secrets.go: ExtractRoot keys).
    relevant: (o) => o.metadata.name === MESH_CONFIGMAP || hasCaBundle(o),
    watchScope: { namespace: ROOT_NAMESPACE, fieldSelector: `metadata.name=${MESH_CONFIGMAP}` },
  },
  kind('Service', '', ['v1'], 'services', true, specced(s.service)),
  kind('Pod', '', ['v1'], 'pods', true, s.object({ spec: s.podSpec, status: s.podStatus })),
  // Only a node's name and topology labels are read (its pods' locality).
  { ...kind('Node', '', ['v1'], 'nodes', false), trim: trimToLabels },
  kind(
    'EndpointSlice',
    'discovery.k8s.io',
    ['v1'],
    'endpointslices',
    true,
    all(s.object(s.endpointSliceFields, ['addressType']), s.endpointSliceAddresses),
  ),
  kind(
    'Gateway',
    GW,
    ['v1', 'v1beta1'],
    'gateways',
    true,
    specced(s.gatewaySpec, { required: true, status: s.gatewayStatus }),
  ),
  kind('GatewayClass', GW, ['v1', 'v1beta1'], 'gatewayclasses', false, specced(s.gatewayClassSpec, { required: true })),
  kind('HTTPRoute', GW, ['v1', 'v1beta1'], 'httproutes', true, specced(s.httpRouteSpec)),
  kind('GRPCRoute', GW, ['v1', 'v1alpha2'], 'grpcroutes', true, specced(s.grpcRouteSpec)),
  // Gateway API 1.5 serves TLSRoute at v1 (storage), v1alpha3 and v1alpha2, and
  // TCPRoute at v1alpha2; istiod reads both as v1. A source tries each in turn.
  kind('TCPRoute', GW, ['v1alpha2', 'v1'], 'tcproutes', true, specced(s.l4RouteSpec)),
  kind('TLSRoute', GW, ['v1', 'v1alpha3', 'v1alpha2'], 'tlsroutes', true, specced(s.l4RouteSpec)),
  kind(
    'ReferenceGrant',
    GW,
    ['v1beta1', 'v1'],
    'referencegrants',
    true,
    specced(s.referenceGrantSpec, { required: true }),
  ),
  {
    ...kind(
      'AuthorizationPolicy',
      ISTIO_SEC,
      ['v1', 'v1beta1'],
      'authorizationpolicies',
      true,
      specced(s.authorizationPolicySpec),
    ),
    failClosed: (o, problems) => failClosedPolicy(o as AuthorizationPolicy, problems),
  },
  kind(
    'PeerAuthentication',
    ISTIO_SEC,
    ['v1', 'v1beta1'],
    'peerauthentications',
    true,
    specced(all(s.peerAuthenticationSpec, r.peerAuthenticationRules, obj({ selector: r.workloadSelector }))),
  ),
  kind(
    'RequestAuthentication',
    ISTIO_SEC,
    ['v1', 'v1beta1'],
    'requestauthentications',
    true,
    specced(s.requestAuthenticationSpec),
  ),
  kind('Telemetry', 'telemetry.istio.io', ['v1', 'v1alpha1'], 'telemetries', true, specced(s.telemetrySpec)),
  kind(
    'WasmPlugin',
    'extensions.istio.io',
    ['v1alpha1'],
    'wasmplugins',
    true,
    specced(all(s.wasmPluginSpec, r.wasmPluginRules), { required: true }),
  ),
  kind('EnvoyFilter', ISTIO_NET, ['v1alpha3'], 'envoyfilters', true, specced(all(s.envoyFilterSpec, envoyFilterRules))),
  kind(
    'ServiceEntry',
    ISTIO_NET,
    ['v1', 'v1beta1', 'v1alpha3'],
    'serviceentries',
    true,
    all(specced(s.serviceEntrySpec, { required: true }), serviceEntryRules),
  ),
  kind(
    'WorkloadEntry',
    ISTIO_NET,
    ['v1', 'v1beta1', 'v1alpha3'],
    'workloadentries',
    true,
    specced(all(s.workloadEntrySpec, r.workloadEntryRules)),
  ),
  kind(
    'DestinationRule',
    ISTIO_NET,
    ['v1', 'v1beta1', 'v1alpha3'],
    'destinationrules',
    true,
    specced(s.destinationRuleSpec, { required: true }),
  ),
  // Gateway API backend policies (backend_policies.go): istiod reads BackendTLSPolicy at v1.
  kind(
    'BackendTLSPolicy',
    GW,
    ['v1', 'v1alpha3'],
    'backendtlspolicies',
    true,
    all(specced(bp.backendTLSPolicySpec, { required: true }), bp.backendTLSPolicyRules),
  ),
  kind(
    'XBackendTrafficPolicy',
    'gateway.networking.x-k8s.io',
    ['v1alpha1'],
    'xbackendtrafficpolicies',
    true,
    specced(bp.xBackendTrafficPolicySpec, { required: true }),
  ),
  kind(
    'VirtualService',
    ISTIO_NET,
    ['v1', 'v1beta1', 'v1alpha3'],
    'virtualservices',
    true,
    specced(virtualServiceSpec, { required: true }),
  ),
  // Credentials DestinationRules name (`credentialName`), served to waypoints
  // over SDS. Only Secrets holding a certificate, key or CA key are kept, and
  // only those keys (secret.ts); watched in every namespace as istiod does.
  {
    ...kind('Secret', '', ['v1'], 'secrets', true, s.object({ data: strMap, stringData: strMap })),
    relevant: isCredentialSecret,
    trim: trimSecret,
    watchScope: { fieldSelector: SECRET_FIELD_SELECTOR },
  },
];

const BY_KIND = new Map(KINDS.map((k) => [k.kind, k]));

export function kindInfo(kind: string): KindInfo | undefined {
  return BY_KIND.get(kind);
}

/** The kind for an apiVersion + kind pair, if we read it at that version. */
export function resolveKind(apiVersion: string, kind: string): KindInfo | undefined {
  const k = BY_KIND.get(kind);
  if (!k) return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return k.group === group && k.versions.includes(version ?? '') ? k : undefined;
}

export function apiVersionOf(k: KindInfo, version = k.versions[0] ?? 'v1'): string {
  return k.group ? `${k.group}/${version}` : version;
}

/** Every apiVersion we accept for a kind, e.g. `gateway.networking.k8s.io/v1`. */
export function apiVersionsOf(k: KindInfo): string[] {
  return k.versions.map((v) => apiVersionOf(k, v));
}
