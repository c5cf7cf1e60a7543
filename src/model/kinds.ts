import type { KubeObject } from './meta';
import { MESH_CONFIGMAP } from './labels';

/** How each kind we read is spelled in the API, and a check of the fields we rely on. */
export interface KindInfo {
  kind: string;
  group: string;
  /** Versions we accept; the first is the one we ask the API server for. */
  versions: string[];
  plural: string;
  namespaced: boolean;
  validate(o: KubeObject): string[];
  /** Objects of this kind we keep; others (say, unrelated ConfigMaps) are not our input. */
  relevant?(o: KubeObject): boolean;
}

type Check = (o: Record<string, unknown>, errs: string[]) => void;

function at(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

const str =
  (path: string, required = true): Check =>
  (o, errs) => {
    const v = at(o, path);
    if (v === undefined) {
      if (required) errs.push(`${path}: required`);
    } else if (typeof v !== 'string') errs.push(`${path}: must be a string`);
  };
const arr =
  (path: string, each?: (item: unknown, p: string, errs: string[]) => void, required = false): Check =>
  (o, errs) => {
    const v = at(o, path);
    if (v === undefined) {
      if (required) errs.push(`${path}: required`);
      return;
    }
    if (!Array.isArray(v)) return void errs.push(`${path}: must be a list`);
    if (each) v.forEach((item, i) => each(item, `${path}[${i}]`, errs));
  };
const obj =
  (path: string): Check =>
  (o, errs) => {
    const v = at(o, path);
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v)))
      errs.push(`${path}: must be an object`);
  };
const port = (item: unknown, p: string, errs: string[], field: string) => {
  const v = at(item, field);
  if (v === undefined) return void errs.push(`${p}.${field}: required`);
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535)
    errs.push(`${p}.${field}: must be an integer port (1-65535)`);
};
const named = (item: unknown, p: string, errs: string[]) => {
  if (typeof at(item, 'name') !== 'string') errs.push(`${p}.name: required`);
};
const stringList = (item: unknown, p: string, errs: string[]) => {
  if (typeof item !== 'string') errs.push(`${p}: must be a string`);
};
const oneOfField =
  (path: string, allowed: string[]): Check =>
  (o, errs) => {
    const v = at(o, path);
    if (v !== undefined && !allowed.includes(String(v))) errs.push(`${path}: must be one of ${allowed.join(', ')}`);
  };

const targetRefs = arr('spec.targetRefs', (t, p, errs) => {
  named(t, p, errs);
  if (typeof at(t, 'kind') !== 'string') errs.push(`${p}.kind: required`);
});

function kind(
  kind: string,
  group: string,
  versions: string[],
  plural: string,
  namespaced: boolean,
  checks: Check[] = [],
): KindInfo {
  return {
    kind,
    group,
    versions,
    plural,
    namespaced,
    validate(o) {
      const errs: string[] = [];
      for (const c of checks) c(o as unknown as Record<string, unknown>, errs);
      return errs;
    },
  };
}

const GW = 'gateway.networking.k8s.io';
const backendRefs = (rulePath: string): Check =>
  arr(rulePath, (rule, p, errs) => {
    const refs = at(rule, 'backendRefs');
    if (refs === undefined) return;
    if (!Array.isArray(refs)) return void errs.push(`${p}.backendRefs: must be a list`);
    refs.forEach((b, i) => {
      named(b, `${p}.backendRefs[${i}]`, errs);
      const w = at(b, 'weight');
      if (w !== undefined && (!Number.isInteger(w) || (w as number) < 0))
        errs.push(`${p}.backendRefs[${i}].weight: must be a non-negative integer`);
    });
  });

/** Every kind the control plane reads, in one registry. */
export const KINDS: readonly KindInfo[] = [
  kind('Namespace', '', ['v1'], 'namespaces', false),
  // Only the mesh config (`istio` ConfigMap) matters: it declares extension providers.
  { ...kind('ConfigMap', '', ['v1'], 'configmaps', true), relevant: (o) => o.metadata.name === MESH_CONFIGMAP },
  kind('Service', '', ['v1'], 'services', true, [arr('spec.ports', (p, path, errs) => port(p, path, errs, 'port'))]),
  kind('Pod', '', ['v1'], 'pods', true, [obj('spec'), obj('status')]),
  kind('EndpointSlice', 'discovery.k8s.io', ['v1'], 'endpointslices', true, [
    str('addressType'),
    arr('endpoints', (e, p, errs) => arr('addresses', stringList, true)(e as Record<string, unknown>, errs)),
  ]),
  kind('Gateway', GW, ['v1', 'v1beta1'], 'gateways', true, [
    str('spec.gatewayClassName'),
    arr('spec.listeners', (l, p, errs) => {
      named(l, p, errs);
      port(l, p, errs, 'port');
      if (typeof at(l, 'protocol') !== 'string') errs.push(`${p}.protocol: required`);
    }),
  ]),
  kind('GatewayClass', GW, ['v1', 'v1beta1'], 'gatewayclasses', false, [str('spec.controllerName')]),
  kind('HTTPRoute', GW, ['v1', 'v1beta1'], 'httproutes', true, [
    arr('spec.parentRefs', named),
    backendRefs('spec.rules'),
  ]),
  kind('GRPCRoute', GW, ['v1', 'v1alpha2'], 'grpcroutes', true, [
    arr('spec.parentRefs', named),
    backendRefs('spec.rules'),
  ]),
  kind('TCPRoute', GW, ['v1alpha2'], 'tcproutes', true, [arr('spec.parentRefs', named), backendRefs('spec.rules')]),
  kind('TLSRoute', GW, ['v1alpha2', 'v1alpha3'], 'tlsroutes', true, [
    arr('spec.parentRefs', named),
    backendRefs('spec.rules'),
  ]),
  kind('ReferenceGrant', GW, ['v1beta1', 'v1'], 'referencegrants', true, [
    arr('spec.from', undefined, true),
    arr('spec.to', undefined, true),
  ]),
  kind('AuthorizationPolicy', 'security.istio.io', ['v1', 'v1beta1'], 'authorizationpolicies', true, [
    oneOfField('spec.action', ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']),
    targetRefs,
    arr('spec.rules'),
  ]),
  kind('RequestAuthentication', 'security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', true, [
    targetRefs,
    arr('spec.jwtRules', (r, p, errs) => {
      if (typeof at(r, 'issuer') !== 'string') errs.push(`${p}.issuer: required`);
    }),
  ]),
  kind('Telemetry', 'telemetry.istio.io', ['v1', 'v1alpha1'], 'telemetries', true, [targetRefs]),
  kind('WasmPlugin', 'extensions.istio.io', ['v1alpha1'], 'wasmplugins', true, [targetRefs]),
  kind('EnvoyFilter', 'networking.istio.io', ['v1alpha3'], 'envoyfilters', true, [targetRefs]),
  kind('ServiceEntry', 'networking.istio.io', ['v1', 'v1beta1', 'v1alpha3'], 'serviceentries', true, [
    arr('spec.hosts', stringList, true),
  ]),
  kind('WorkloadEntry', 'networking.istio.io', ['v1', 'v1beta1', 'v1alpha3'], 'workloadentries', true),
  kind('DestinationRule', 'networking.istio.io', ['v1', 'v1beta1', 'v1alpha3'], 'destinationrules', true, [
    str('spec.host'),
  ]),
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
