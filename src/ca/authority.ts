import {
  certInfo,
  CsrError,
  importSigningKey,
  issuedBy,
  matchesKey,
  signLeaf,
  splitPem,
  type SigningKey,
} from './x509';

export { DEFAULT_CERT_TTL_MS, MAX_CERT_TTL_MS } from './ttl';

/**
 * The CA's key material as PEM text, in istiod's KeyCertBundle terms
 * (security/pkg/pki/util/keycertbundle.go): the signing certificate and its
 * key, the chain from it up (cert-chain.pem; empty for a self-signed root),
 * and the trusted roots, which may be several during a rotation.
 */
export interface CaBundle {
  signingCert: string;
  signingKey: string;
  certChain: string;
  rootCerts: string;
}

/** A refusal with the gRPC status it maps to (security/pkg/pki/error/error.go: HTTPErrorCode). */
export class CaError extends Error {
  constructor(
    readonly kind: 'csr' | 'ttl' | 'not-ready' | 'generate',
    message: string,
  ) {
    super(message);
  }
}

interface Loaded {
  bundle: CaBundle;
  signer: SigningKey;
  notAfter: number;
  /** What each response ends with: the chain certificates one per entry, then the roots as one entry. */
  tail: string[];
}

/**
 * Checks a bundle as istiod's NewVerifiedKeyCertBundleFromPem does: the key
 * is the certificate's, the certificate may sign (ca.go:
 * NewPluggedCertIstioCAOptions), and it leads through the chain to one of
 * the roots. `what` names the source in every error; no error quotes a key.
 */
export async function loadBundle(bundle: CaBundle, what: string): Promise<Loaded> {
  const signing = splitPem(bundle.signingCert)[0];
  if (!signing) throw new Error(`${what}: no PEM certificate in the signing certificate`);
  const roots = splitPem(bundle.rootCerts);
  if (roots.length === 0) throw new Error(`${what}: no PEM certificate in the root certificates`);
  const signer = await importSigningKey(bundle.signingKey, `${what}: signing key`);
  if (!matchesKey(signing, bundle.signingKey))
    throw new Error(`${what}: the signing key does not match the signing certificate`);
  const info = certInfo(signing);
  if (!info.ca) throw new Error(`${what}: certificate ${info.subject} is not authorized to sign other certificates`);
  // Walk up: each certificate must be issued by the next one in the chain, or by a root.
  const chain = splitPem(bundle.certChain);
  let at = signing;
  for (const next of chain) {
    if (next === at || roots.includes(next)) continue;
    if (!issuedBy(at, next)) break;
    at = next;
  }
  if (!roots.some((r) => issuedBy(at, r))) {
    throw new Error(
      `${what}: the signing certificate does not chain to any of the ${roots.length} root certificate(s)`,
    );
  }
  return { bundle, signer, notAfter: info.notAfter, tail: [...chain, bundle.rootCerts] };
}

export interface AuthorityOptions {
  defaultTtlMs: number;
  maxTtlMs: number;
  now?: () => number;
}

/** What a certificate names: SPIFFE identities (workloads) and DNS names (our own serving certificate). */
export interface Subject {
  uris?: string[];
  dnsNames?: string[];
}

/** Signs certificates with the current bundle (security/pkg/pki/ca/ca.go: IstioCA). */
export class CertificateAuthority {
  private loaded: Loaded;
  private readonly now: () => number;
  private readonly listeners: Array<() => void> = [];

  constructor(
    initial: Loaded,
    private readonly opts: AuthorityOptions,
  ) {
    this.loaded = initial;
    this.now = opts.now ?? Date.now;
  }

  /** The PEM roots clients should trust (the `root-cert.pem` of istio-ca-root-cert). */
  get rootCerts(): string {
    return this.loaded.bundle.rootCerts;
  }

  get signingCertNotAfter(): number {
    return this.loaded.notAfter;
  }

  /** Swaps in a new bundle (a rotated or re-plugged CA); signing goes on with it at once. */
  replace(next: Loaded): void {
    const rootsChanged = next.bundle.rootCerts !== this.loaded.bundle.rootCerts;
    this.loaded = next;
    if (rootsChanged) for (const l of this.listeners) l();
  }

  onRootsChanged(cb: () => void): void {
    this.listeners.push(cb);
  }

  /**
   * Signs a CSR for `subject` and returns the response's cert_chain: the
   * leaf, each chain certificate, then the root bundle as the last entry
   * (server.go: CreateCertificate). A requested TTL of 0 or less gets the
   * default, one over the maximum is refused, and no certificate outlives
   * the signing certificate (ca.go: sign, minTTL; generate_cert.go: genCertTemplateFromCSR).
   */
  async sign(csrPem: string, subject: Subject, requestedTtlMs: number): Promise<string[]> {
    const cur = this.loaded;
    const now = this.now();
    if (now >= cur.notAfter) throw new CaError('not-ready', 'the CA signing certificate has expired');
    if (requestedTtlMs > this.opts.maxTtlMs) {
      throw new CaError(
        'ttl',
        `requested TTL ${requestedTtlMs / 1000}s is greater than the max allowed TTL ${this.opts.maxTtlMs / 1000}s`,
      );
    }
    const ttl = requestedTtlMs > 0 ? requestedTtlMs : Math.min(this.opts.defaultTtlMs, cur.notAfter - now);
    const notAfter = new Date(Math.min(now + ttl, cur.notAfter));
    let leaf: string;
    try {
      leaf = await signLeaf({ csrPem, ...subject, notAfter, now }, splitPem(cur.bundle.signingCert)[0]!, cur.signer);
    } catch (e) {
      if (e instanceof CsrError) throw new CaError('csr', e.message);
      throw new CaError('generate', `certificate generation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return [leaf, ...cur.tail];
  }
}
