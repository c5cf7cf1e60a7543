import { prepare, toProtoJson, type Json, type PreparedResource, type TypeMap } from '../../envoy';
import {
  get,
  GENERIC_CA,
  GENERIC_CERT,
  GENERIC_CRL,
  GENERIC_KEY,
  TLS_CA,
  TLS_CERT,
  TLS_CRL,
  TLS_KEY,
  TLS_OCSP,
  type World,
} from '../../model';
import { credentialSdsNames } from './cluster-tls';
import type { WaypointIR } from '../ir';
import * as names from '../names';

// The credentials a waypoint's clusters fetch over ADS, served as istiod's
// SecretGen does (pilot/pkg/xds/sds.go: Generate, filterAuthorizedResources,
// toEnvoyTLSSecret, toEnvoyCaSecret). Pure: World in, Secret resources and
// the reasons some names get nothing out. Whether the stream may have a key
// pair at all is the server's decision, not this one's.

type SecretMsg = TypeMap['envoy.extensions.transport_sockets.tls.v3.Secret'];
type DataSource = TypeMap['envoy.config.core.v3.DataSource'];

/** One SDS name that gets no resource, and why (istiod logs these and sends nothing). */
export interface SecretProblem {
  name: string;
  reason: string;
}

export interface WaypointSecrets {
  resources: PreparedResource[];
  problems: SecretProblem[];
}

/** Every SDS name the waypoint's clusters fetch from the control plane, sorted. */
export function referencedCredentials(ir: WaypointIR): string[] {
  const out = new Set<string>();
  for (const svc of ir.services)
    for (const port of svc.ports) {
      const d = port.destination;
      if (!d) continue;
      for (const n of credentialSdsNames(d.policy?.tls)) out.add(n);
      for (const s of d.subsets) for (const n of credentialSdsNames(s.policy?.tls)) out.add(n);
    }
  for (const o of ir.outbound) for (const n of credentialSdsNames(o.destination?.policy.tls)) out.add(n);
  return [...out].sort();
}

/** credentials/resource.go: ParseResourceName, for a proxy in `proxyNamespace`. */
type Parsed =
  | { type: 'secret'; namespace: string; name: string }
  | { type: 'configmap'; namespace: string; name: string }
  | { type: 'other'; reason: string };

export function parseCredential(resource: string, proxyNamespace: string): Parsed {
  if (resource.startsWith(names.SDS_KUBERNETES_PREFIX)) {
    const parts = resource.slice(names.SDS_KUBERNETES_PREFIX.length).split('/');
    if (parts.length > 1) return { type: 'secret', namespace: parts[0] ?? '', name: parts[1] ?? '' };
    return { type: 'secret', namespace: proxyNamespace, name: parts[0] ?? '' };
  }
  if (resource.startsWith(names.SDS_CONFIGMAP_PREFIX)) {
    const [namespace = '', name = ''] = resource.slice(names.SDS_CONFIGMAP_PREFIX.length).split('/');
    if (!namespace || !name) return { type: 'other', reason: 'expected configmap://<namespace>/<name>' };
    return { type: 'configmap', namespace, name };
  }
  // kubernetes-gateway:// needs a Gateway's verified certificate references, which a waypoint has none of.
  return { type: 'other', reason: 'not a credential this control plane serves to a waypoint' };
}

const isCaName = (name: string) => name.endsWith(names.SDS_CA_SUFFIX);
const bytes = (b64: string): DataSource => ({ inline_bytes: Buffer.from(b64, 'base64') });
const present = (d: Record<string, string>, k: string) => (d[k] ?? '') !== '';

/** secrets.go: ExtractCertInfo — the generic layout first, then kubernetes.io/tls. */
function certInfo(d: Record<string, string>): { tls_certificate: NonNullable<SecretMsg['tls_certificate']> } | string {
  if (present(d, GENERIC_CERT) && present(d, GENERIC_KEY))
    return { tls_certificate: { certificate_chain: bytes(d[GENERIC_CERT]!), private_key: bytes(d[GENERIC_KEY]!) } };
  if (present(d, TLS_CERT) && present(d, TLS_KEY))
    return {
      tls_certificate: {
        certificate_chain: bytes(d[TLS_CERT]!),
        private_key: bytes(d[TLS_KEY]!),
        ...(present(d, TLS_OCSP) ? { ocsp_staple: bytes(d[TLS_OCSP]!) } : {}),
      },
    };
  if (GENERIC_CERT in d && GENERIC_KEY in d)
    return `found keys "${GENERIC_CERT}" and "${GENERIC_KEY}", but they were empty`;
  if (TLS_CERT in d && TLS_KEY in d) return `found keys "${TLS_CERT}" and "${TLS_KEY}", but they were empty`;
  return `found neither "${GENERIC_CERT}"/"${GENERIC_KEY}" nor "${TLS_CERT}"/"${TLS_KEY}"`;
}

/** secrets.go: ExtractRoot — `cacert` (+`crl`), else `ca.crt` (+`ca.crl`). */
function rootInfo(
  d: Record<string, string>,
): { validation_context: NonNullable<SecretMsg['validation_context']> } | string {
  const pick = (ca: string, crl: string) => ({
    validation_context: { trusted_ca: bytes(d[ca]!), ...(present(d, crl) ? { crl: bytes(d[crl]!) } : {}) },
  });
  if (present(d, GENERIC_CA)) return pick(GENERIC_CA, GENERIC_CRL);
  if (present(d, TLS_CA)) return pick(TLS_CA, TLS_CRL);
  if (GENERIC_CA in d || TLS_CA in d) return 'found a CA key, but it was empty';
  return `found neither "${GENERIC_CA}" nor "${TLS_CA}"`;
}

const toBase64 = (d: Record<string, string> | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d ?? {})) out[k] = Buffer.from(v, 'utf8').toString('base64');
  return out;
};

/** One SDS name's resource, or why it has none. */
function secretFor(world: World, resource: string, proxyNamespace: string): SecretMsg | string {
  const p = parseCredential(resource, proxyNamespace);
  if (p.type === 'other') return p.reason;
  if (p.type === 'configmap') {
    // secrets.go: GetConfigMapCaCert — any namespace: a CA bundle is not private.
    const base = isCaName(p.name) ? p.name.slice(0, -names.SDS_CA_SUFFIX.length) : p.name;
    const cm = get(world, 'ConfigMap', p.namespace, base);
    if (!cm) return `configmap ${p.namespace}/${base} not found`;
    const root = rootInfo(toBase64(cm.data));
    return typeof root === 'string' ? root : { name: resource, ...root };
  }
  // sds.go: filterAuthorizedResources — a Kubernetes Secret only from the proxy's own namespace.
  if (p.namespace !== proxyNamespace)
    return `secret ${p.namespace}/${p.name} is outside the proxy's namespace ${proxyNamespace}`;
  if (isCaName(p.name)) {
    // secrets.go: GetCaCert — `<name>-cacert`, else the roots inside `<name>`.
    const own = get(world, 'Secret', p.namespace, p.name);
    const base = p.name.slice(0, -names.SDS_CA_SUFFIX.length);
    const s = own ?? get(world, 'Secret', p.namespace, base);
    if (!s) return `secret ${p.namespace}/${base} not found`;
    const root = rootInfo(s.data ?? {});
    return typeof root === 'string' ? `secret ${p.namespace}/${s.metadata.name}: ${root}` : { name: resource, ...root };
  }
  const s = get(world, 'Secret', p.namespace, p.name);
  if (!s) return `secret ${p.namespace}/${p.name} not found`;
  const cert = certInfo(s.data ?? {});
  return typeof cert === 'string' ? `secret ${p.namespace}/${p.name}: ${cert}` : { name: resource, ...cert };
}

/**
 * sds.go: SecretGen.Generate for the names a waypoint in `namespace` fetches:
 * a resource for each usable one; a missing or unusable one is reported and
 * left out, so the cluster waiting on it keeps waiting, as with istiod.
 */
export function buildSecrets(world: World, namespace: string, resourceNames: readonly string[]): WaypointSecrets {
  const resources: PreparedResource[] = [];
  const problems: SecretProblem[] = [];
  for (const name of resourceNames) {
    // sds.go: filterAuthorizedResources — an `invalid://` name gets nothing, silently: its reason is a status.
    if (name.startsWith(names.SDS_INVALID_PREFIX)) continue;
    const s = secretFor(world, name, namespace);
    if (typeof s === 'string') problems.push({ name, reason: s });
    else resources.push(prepare('envoy.extensions.transport_sockets.tls.v3.Secret', name, s));
  }
  return { resources, problems };
}

/** True for the SDS names whose resource carries a private key (not a CA bundle). */
export function carriesKey(resourceName: string): boolean {
  return resourceName.startsWith(names.SDS_KUBERNETES_PREFIX) && !isCaName(resourceName);
}

/**
 * A waypoint's secrets as proto3 JSON (private keys redacted) with the names
 * that get nothing and why; undefined when its clusters fetch no credential.
 */
export function renderSecrets(world: World, namespace: string, ir: WaypointIR): Json | undefined {
  const wanted = referencedCredentials(ir);
  if (wanted.length === 0) return undefined;
  const { resources, problems } = buildSecrets(world, namespace, wanted);
  return {
    secrets: resources.map((r) => ({ '@type': r.typeUrl, ...toProtoJson(r.messageName, r.body) })),
    notSent: problems.map((p) => ({ name: p.name, reason: p.reason })),
  };
}
