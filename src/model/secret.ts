import type { KubeObject, NamespacedObject } from './meta';

// Secrets a DestinationRule `credentialName` names, as far as they are read:
// the certificate, key and CA keys of the layouts istiod accepts
// (pilot/pkg/credentials/kube/secrets.go: ExtractCertInfo, ExtractRoot).
// Everything else a Secret holds is dropped when it is read, so the World
// never carries more secret material than the proxies may be sent.

/** Secret keeps `data` (base64) at the top level; `stringData` is folded into it when read. */
export interface Secret extends NamespacedObject<'Secret'> {
  type?: string;
  data?: Record<string, string>;
}

/** secrets.go: the generic layout (cert, key, cacert, crl). */
export const GENERIC_CERT = 'cert';
export const GENERIC_KEY = 'key';
export const GENERIC_CA = 'cacert';
export const GENERIC_CRL = 'crl';
/** secrets.go: the kubernetes.io/tls layout (tls.crt, tls.key, ca.crt, ca.crl, tls.ocsp-staple). */
export const TLS_CERT = 'tls.crt';
export const TLS_KEY = 'tls.key';
export const TLS_CA = 'ca.crt';
export const TLS_CRL = 'ca.crl';
export const TLS_OCSP = 'tls.ocsp-staple';

const READ_KEYS: ReadonlySet<string> = new Set([
  GENERIC_CERT,
  GENERIC_KEY,
  GENERIC_CA,
  GENERIC_CRL,
  TLS_CERT,
  TLS_KEY,
  TLS_CA,
  TLS_CRL,
  TLS_OCSP,
]);

/**
 * secrets.go: SecretsFieldSelector — Helm release and service-account token
 * Secrets are never credentials, and are the large ones; the watch skips them.
 */
export const SECRET_FIELD_SELECTOR = 'type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token';

/** A Secret that holds any key a credential is read from. */
export function isCredentialSecret(o: KubeObject): boolean {
  const s = o as KubeObject & { data?: unknown; stringData?: unknown };
  const keys = [...Object.keys(asRecord(s.data)), ...Object.keys(asRecord(s.stringData))];
  return keys.some((k) => READ_KEYS.has(k));
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The Secret as kept: identity, type and the credential keys of `data`, with
 * `stringData` (a manifest's plain-text form, which the API server folds into
 * `data`) encoded and merged the same way. Labels and annotations are dropped.
 */
export function trimSecret(o: KubeObject): KubeObject {
  const s = o as KubeObject & { type?: unknown; data?: unknown; stringData?: unknown };
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(s.data))) if (READ_KEYS.has(k) && typeof v === 'string') data[k] = v;
  for (const [k, v] of Object.entries(asRecord(s.stringData)))
    if (READ_KEYS.has(k) && typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  const { name, namespace } = o.metadata;
  const out: KubeObject & Pick<Secret, 'type' | 'data'> = {
    apiVersion: o.apiVersion,
    kind: 'Secret',
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    ...(typeof s.type === 'string' ? { type: s.type } : {}),
    data,
  };
  return out;
}
