import { createHash } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { parseSpiffeId, spiffeId, type SpiffeParts } from '../model/spiffe';

/** A workload identity a stream has proven: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export interface Identity extends SpiffeParts {
  /** How it was proven, for logs. */
  via: 'token' | 'certificate';
  /** The pod a bound service-account token was minted for, as the TokenReview names it. */
  pod?: { name: string; uid?: string };
}

/** What a stream presents: its request headers and, on a TLS connection, the verified peer certificate. */
export interface StreamCredentials {
  metadata: grpc.Metadata;
  peerCertificate?: PeerCertificate;
}

/**
 * A refusal, carried to the client as the gRPC status of its stream:
 * UNAUTHENTICATED or PERMISSION_DENIED for the client's credentials,
 * UNAVAILABLE when they could not be checked in time (the client should retry).
 */
export class AuthError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    /** What went wrong in more detail, for our log only. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * Proves an identity from one kind of credential. Resolves to undefined when
 * the stream did not present that kind (so the next authenticator is tried);
 * rejects with an AuthError when it presented one that does not hold.
 */
export interface Authenticator {
  readonly kind: string;
  authenticate(creds: StreamCredentials): Promise<Identity | undefined>;
}

export function spiffeUri(id: SpiffeParts): string {
  return spiffeId(id.trustDomain, id.namespace, id.serviceAccount);
}

/** The URI SANs of a certificate (Node renders them as `URI:…, DNS:…`). */
export function uriSans(cert: PeerCertificate): string[] {
  const out: string[] = [];
  for (const part of (cert.subjectaltname ?? '').split(/,\s*/)) {
    if (part.startsWith('URI:')) out.push(part.slice(4));
  }
  return out;
}

/**
 * A client certificate the TLS handshake verified against our CA bundle,
 * whose URI SAN is a SPIFFE id in our trust domain. A verified certificate
 * without one is refused rather than skipped: it was presented as proof.
 */
export class CertificateAuthenticator implements Authenticator {
  readonly kind = 'certificate';
  constructor(private readonly trustDomain: string) {}

  authenticate(creds: StreamCredentials): Promise<Identity | undefined> {
    const cert = creds.peerCertificate;
    if (!cert) return Promise.resolve(undefined);
    const sans = uriSans(cert);
    // An X.509 SVID names exactly one identity; a certificate naming several is not one.
    if (sans.length > 1) {
      return Promise.reject(
        new AuthError(
          grpc.status.UNAUTHENTICATED,
          `client certificate has ${sans.length} URI SANs; an identity has one`,
        ),
      );
    }
    const found = sans[0] === undefined ? undefined : parseSpiffeId(sans[0]);
    if (!found) {
      return Promise.reject(
        new AuthError(grpc.status.UNAUTHENTICATED, 'client certificate carries no spiffe:// URI SAN'),
      );
    }
    if (found.trustDomain !== this.trustDomain) {
      return Promise.reject(
        new AuthError(
          grpc.status.UNAUTHENTICATED,
          `client certificate identity ${spiffeUri(found)} is outside trust domain ${this.trustDomain}`,
        ),
      );
    }
    return Promise.resolve({ ...found, via: 'certificate' });
  }
}

/** What the Kubernetes TokenReview API answers, as much of it as we read. */
export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; extra?: Record<string, string[] | undefined> };
  audiences?: string[];
  error?: string;
}

/** Where a TokenReview names the pod a bound token belongs to (security/pkg/k8s/tokenreview/k8sauthn.go: ValidateK8sJwt). */
const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';

/** Sends one TokenReview; rejects only when the API could not be asked. */
export type TokenReviewer = (token: string, audiences: string[]) => Promise<TokenReviewStatus>;

export interface TokenAuthOptions {
  audiences: string[];
  trustDomain: string;
  /** How long a review is reused for the same token (default 60 s, never past the token's expiry); proxies reconnect in bursts. */
  cacheTtlMs?: number;
  /** How long a refusal is remembered (default 5 s), so a client retrying a bad token does not turn into API load. */
  failureTtlMs?: number;
  /** Most reviews remembered at once (default 10,000). */
  cacheSize?: number;
  /** Most reviews waiting on the API server at once (default 64); past that a stream is told to retry. */
  maxInFlight?: number;
  now?: () => number;
}

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * A Kubernetes service-account token in the `authorization: Bearer …`
 * header, checked with a TokenReview for the configured audience. Only
 * service-account users are identities; a user token is refused.
 */
export class TokenReviewAuthenticator implements Authenticator {
  readonly kind = 'token';
  private readonly cache = new Map<string, { until: number; result: Promise<Identity> }>();
  private inFlight = 0;
  private readonly now: () => number;

  constructor(
    private readonly review: TokenReviewer,
    private readonly opts: TokenAuthOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  authenticate(creds: StreamCredentials): Promise<Identity | undefined> {
    const header = creds.metadata.get('authorization')[0];
    if (header === undefined) return Promise.resolve(undefined);
    const m = /^Bearer\s+(\S+)$/i.exec(String(header));
    if (!m) {
      return Promise.reject(new AuthError(grpc.status.UNAUTHENTICATED, 'authorization header is not a Bearer token'));
    }
    const token = m[1]!;
    // Keyed by a digest so the cache never holds a usable token.
    const key = createHash('sha256').update(token).digest('base64');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && now < hit.until) return hit.result;
    if (this.inFlight >= (this.opts.maxInFlight ?? 64)) {
      return Promise.reject(
        new AuthError(grpc.status.UNAVAILABLE, 'too many token reviews in progress; retry shortly'),
      );
    }
    this.inFlight++;
    const result = this.check(token).finally(() => this.inFlight--);
    const entry = { until: Math.min(now + (this.opts.cacheTtlMs ?? 60_000), tokenExpiry(token) ?? Infinity), result };
    if (this.cache.size >= (this.opts.cacheSize ?? 10_000)) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, entry);
    result.catch((e: unknown) => {
      if (this.cache.get(key) !== entry) return;
      // A refusal is remembered briefly; an API outage not at all.
      if (e instanceof AuthError && e.code === grpc.status.UNAUTHENTICATED) {
        entry.until = this.now() + (this.opts.failureTtlMs ?? 5_000);
      } else this.cache.delete(key);
    });
    return result;
  }

  private async check(token: string): Promise<Identity> {
    let st: TokenReviewStatus;
    try {
      st = await this.review(token, this.opts.audiences);
    } catch (e) {
      // The cause (an API server's response body, perhaps) is for our logs, not for an unauthenticated caller.
      throw new AuthError(
        grpc.status.UNAVAILABLE,
        'token review failed: the Kubernetes API could not be asked',
        e instanceof Error ? e.message : String(e),
      );
    }
    if (!st.authenticated) {
      throw new AuthError(grpc.status.UNAUTHENTICATED, `token rejected: ${st.error || 'not authenticated'}`);
    }
    // An answer without our audience (an empty list means the API server's own)
    // means the token was minted for someone else.
    const audiences = st.audiences ?? [];
    if (!audiences.some((a) => this.opts.audiences.includes(a))) {
      throw new AuthError(
        grpc.status.UNAUTHENTICATED,
        `token is for audiences ${audiences.join(',') || '(the API server)'}, not ${this.opts.audiences.join(',')}`,
      );
    }
    const user = st.user?.username ?? '';
    const sa = SA_USER.exec(user);
    if (!sa) {
      throw new AuthError(grpc.status.UNAUTHENTICATED, `token user ${user || '(none)'} is not a service account`);
    }
    const podName = st.user?.extra?.[POD_NAME]?.[0];
    const podUid = st.user?.extra?.[POD_UID]?.[0];
    return {
      trustDomain: this.opts.trustDomain,
      namespace: sa[1]!,
      serviceAccount: sa[2]!,
      via: 'token',
      ...(podName ? { pod: { name: podName, uid: podUid } } : {}),
    };
  }
}

/**
 * The `exp` claim of a JWT, read without verifying it (the TokenReview does
 * that), only so a cached review does not outlive the token.
 */
function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Tries each authenticator in turn; a stream that presents nothing any of them accepts is refused. */
export async function authenticate(auths: readonly Authenticator[], creds: StreamCredentials): Promise<Identity> {
  for (const a of auths) {
    const id = await a.authenticate(creds);
    if (id) return id;
  }
  const kinds = auths.map((a) => a.kind).join(' or ');
  throw new AuthError(grpc.status.UNAUTHENTICATED, `this port requires authentication (${kinds}); none was presented`);
}
