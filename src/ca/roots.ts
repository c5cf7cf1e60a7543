import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { callOptions } from '../controller/kube-api';
import type { CaBundle } from './authority';
import { createSelfSignedRoot, splitPem } from './x509';

/** Secret names and keys istiod uses (security/pkg/pki/ca/ca.go: CASecret, CACertsSecret, CACertFile…). */
export const CA_SECRET = 'istio-ca-secret';
export const CACERTS_SECRET = 'cacerts';
export const CA_CERT = 'ca-cert.pem';
export const CA_KEY = 'ca-key.pem';
export const CERT_CHAIN = 'cert-chain.pem';
export const ROOT_CERT = 'root-cert.pem';
/** The kubernetes.io/tls layout istiod also accepts for cacerts (ca.go: TLSSecretCACertFile…). */
export const TLS_CERT = 'tls.crt';
export const TLS_KEY = 'tls.key';
export const TLS_CA = 'ca.crt';
/** The type istiod gives the Secret it creates (ca.go: istioCASecretType). */
const CA_SECRET_TYPE = 'istio.io/ca-root';
/** CITADEL_SELF_SIGNED_CA_CERT_TTL's default: ten years. */
export const SELF_SIGNED_ROOT_TTL_MS = 3650 * 24 * 3600_000;

export interface LoadedRoots {
  bundle: CaBundle;
  /** Where it came from, for logs and the README's wording: never key material. */
  source: string;
}

/** Roots with duplicates dropped, so an overlap bundle lists each root once. */
function joinRoots(...pems: string[]): string {
  const seen = new Set<string>();
  for (const p of pems) for (const c of splitPem(p)) seen.add(c.trim() + '\n');
  return [...seen].join('');
}

/**
 * A plug-in CA from the four files istiod reads from its cacerts directory
 * (pilot/pkg/bootstrap/istio_ca.go: detectSigningCABundleAndCRL); undefined
 * unless all four are present (istiod's signingCABundleComplete).
 */
function pluggedBundle(get: (name: string) => string | undefined): CaBundle | undefined {
  const tls = tlsBundle(get);
  if (tls) return tls;
  const [cert, key, chain, root] = [CA_CERT, CA_KEY, CERT_CHAIN, ROOT_CERT].map(get);
  if (!cert || !key || !chain || !root) return undefined;
  return { signingCert: cert, signingKey: key, certChain: chain, rootCerts: joinRoots(root) };
}

/**
 * The kubernetes.io/tls layout (what cert-manager writes): when `tls.crt` is
 * there it wins, as in istio_ca.go: detectSigningCABundleAndCRL — signing
 * certificate and key from `tls.crt`/`tls.key`, root from `ca.crt`, chain
 * `tls.crt` then `ca.crt`. A missing key or root is an error naming it,
 * not a silent fall-back to another layout.
 */
function tlsBundle(get: (name: string) => string | undefined): CaBundle | undefined {
  const cert = get(TLS_CERT);
  if (!cert) return undefined;
  const key = get(TLS_KEY);
  const root = get(TLS_CA);
  const missing = [key ? '' : TLS_KEY, root ? '' : TLS_CA].filter(Boolean);
  if (missing.length > 0) throw new Error(`has ${TLS_CERT} but no ${missing.join(' or ')}`);
  return { signingCert: cert, signingKey: key!, certChain: cert + root!, rootCerts: joinRoots(root!) };
}

/** A plug-in CA from a directory laid out as the cacerts Secret (ROOT_CA_DIR in istiod). */
export function directoryRoots(dir: string): LoadedRoots {
  const get = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  let bundle: CaBundle | undefined;
  try {
    bundle = pluggedBundle(get);
  } catch (e) {
    throw new Error(`--cacerts-dir ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!bundle) {
    throw new Error(
      `--cacerts-dir ${dir}: needs ${CA_CERT}, ${CA_KEY}, ${CERT_CHAIN} and ${ROOT_CERT} (or ${TLS_CERT}, ${TLS_KEY} and ${TLS_CA})`,
    );
  }
  return { bundle, source: `directory ${dir}` };
}

/** A root made in memory, for a control plane without a cluster to keep it in (ca.go: NewSelfSignedDebugIstioCAOptions). */
export async function ephemeralRoots(trustDomain: string): Promise<LoadedRoots> {
  const root = await createSelfSignedRoot(trustDomain, SELF_SIGNED_ROOT_TTL_MS);
  return {
    bundle: { signingCert: root.cert, signingKey: root.key, certChain: '', rootCerts: root.cert },
    source: 'self-signed root in memory (not persisted)',
  };
}

interface SecretObj {
  data?: Record<string, string>;
}

function decoded(secret: SecretObj | undefined): (name: string) => string | undefined {
  return (name) => {
    const v = secret?.data?.[name];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
}

async function readSecret(kc: k8s.KubeConfig, namespace: string, name: string): Promise<SecretObj | undefined> {
  try {
    return await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace, name }, callOptions());
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

export interface KubeRootsOptions {
  namespace: string;
  trustDomain: string;
  log: Logger;
  selfSignedTtlMs?: number;
  /** False on a reload: a Secret that went away is not replaced by a new root while this one is in use. */
  createIfMissing?: boolean;
  /**
   * Whether this replica may create the self-signed root now (it holds the
   * leader lease). Absent: it may (a single control plane). A replica that may
   * not waits for the Secret to appear.
   */
  mayCreate?: () => boolean;
  /** How long a replica waits for the leader's Secret before giving up (default 2 min). */
  waitMs?: number;
}

/** First and last pause between reads while waiting for the leader's root. */
const WAIT_FIRST_MS = 200;
const WAIT_MAX_MS = 5_000;
export const ROOT_WAIT_MS = 120_000;

/**
 * The CA's bundle from the cluster, in istiod's order
 * (istio_ca.go: createIstioCA; ca.go: NewSelfSignedIstioCAOptions): the
 * user's `cacerts` Secret when it holds a complete plug-in bundle; else the
 * self-signed root in `istio-ca-secret`; else a new root written there, by
 * the leader only. Other replicas read both Secrets again, with backoff,
 * until one of them is there (or the wait runs out), so there is one create
 * and a root is never replaced while its Secret exists. A create that still
 * meets a Secret (a leader change mid-way) reads what is there.
 */
export async function kubeRoots(kc: k8s.KubeConfig, opts: KubeRootsOptions): Promise<LoadedRoots> {
  const ns = opts.namespace;
  const deadline = Date.now() + (opts.waitMs ?? ROOT_WAIT_MS);
  let delay = WAIT_FIRST_MS;
  let conflicts = 0;
  let waiting = false;
  for (;;) {
    const cacerts = await readSecret(kc, ns, CACERTS_SECRET);
    let plugged: CaBundle | undefined;
    try {
      plugged = pluggedBundle(decoded(cacerts));
    } catch (e) {
      throw new Error(`Secret ${ns}/${CACERTS_SECRET} ${e instanceof Error ? e.message : String(e)}`);
    }
    if (plugged) return { bundle: plugged, source: `Secret ${ns}/${CACERTS_SECRET}` };
    // An incomplete cacerts may still add roots to trust (istiod's AppendRootCerts of its root-cert.pem).
    const extraRoots = decoded(cacerts)(ROOT_CERT) ?? '';
    const existing = decoded(await readSecret(kc, ns, CA_SECRET));
    const cert = existing(CA_CERT);
    const key = existing(CA_KEY);
    if (cert && key) {
      return {
        bundle: {
          signingCert: cert,
          signingKey: key,
          certChain: '',
          rootCerts: joinRoots(cert, existing(ROOT_CERT) ?? '', extraRoots),
        },
        source: `Secret ${ns}/${CA_SECRET}`,
      };
    }
    if (cert || key) throw new Error(`Secret ${ns}/${CA_SECRET} lacks ${cert ? CA_KEY : CA_CERT}`);
    if (opts.createIfMissing === false) throw new Error(`Secret ${ns}/${CA_SECRET} is missing`);
    if (opts.mayCreate && !opts.mayCreate()) {
      if (Date.now() + delay > deadline) {
        throw new Error(
          `Secret ${ns}/${CA_SECRET} did not appear within ${Math.round((opts.waitMs ?? ROOT_WAIT_MS) / 1000)}s; only the leader creates it`,
        );
      }
      if (!waiting) opts.log.info({ secret: `${ns}/${CA_SECRET}` }, 'waiting for the leader to create the root CA');
      waiting = true;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, WAIT_MAX_MS);
      continue;
    }
    const created = await createRootSecret(kc, opts, extraRoots);
    if (created) return created;
    if (++conflicts >= 3) throw new Error(`Secret ${ns}/${CA_SECRET} could neither be read nor created`);
  }
}

/** Writes a new self-signed root to istio-ca-secret; undefined when the Secret is already there. */
async function createRootSecret(
  kc: k8s.KubeConfig,
  opts: KubeRootsOptions,
  extraRoots: string,
): Promise<LoadedRoots | undefined> {
  const ns = opts.namespace;
  const root = await createSelfSignedRoot(opts.trustDomain, opts.selfSignedTtlMs ?? SELF_SIGNED_ROOT_TTL_MS);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  try {
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret(
      {
        namespace: ns,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: CA_SECRET, namespace: ns },
          type: CA_SECRET_TYPE,
          // The layout istiod's BuildSecret writes for its self-signed root.
          data: {
            [CA_CERT]: b64(root.cert),
            [CA_KEY]: b64(root.key),
            [CERT_CHAIN]: '',
            [ROOT_CERT]: b64(root.cert),
            'key.pem': '',
          },
        },
      },
      callOptions(),
    );
  } catch (e) {
    // Someone created it first: read theirs.
    if ((e as { code?: number }).code === 409) return undefined;
    throw e;
  }
  opts.log.info({ secret: `${ns}/${CA_SECRET}` }, 'created a self-signed root CA');
  return {
    bundle: {
      signingCert: root.cert,
      signingKey: root.key,
      certChain: '',
      rootCerts: joinRoots(root.cert, extraRoots),
    },
    source: `Secret ${ns}/${CA_SECRET} (created)`,
  };
}
