import { createHash } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** A workload identity a stream has proven: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
export interface Identity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
  /** How it was proven, for logs. */
  via: 'token' | 'certificate';
}

/** What a stream presents: its request headers and, on a TLS connection, the verified peer certificate. */
export interface StreamCredentials {
  metadata: grpc.Metadata;
  peerCertificate?: PeerCertificate;
}

/** A refusal, carried to the client as the gRPC status of its stream. */
export class AuthError extends Error {
  constructor(
    readonly code: grpc.status.UNAUTHENTICATED | grpc.status.PERMISSION_DENIED,
    message: string,
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

export function spiffeUri(id: Pick<Identity, 'trustDomain' | 'namespace' | 'serviceAccount'>): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

const SPIFFE = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** Parses `spiffe://<td>/ns/<ns>/sa/<sa>`; anything else is not an Istio workload identity. */
export function parseSpiffe(uri: string): Omit<Identity, 'via'> | undefined {
  const m = SPIFFE.exec(uri);
  if (!m) return undefined;
  return { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! };
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
    const ids = uriSans(cert).map(parseSpiffe);
    const found = ids.find((i) => i !== undefined);
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
  user?: { username?: string };
  audiences?: string[];
  error?: string;
}

/** Sends one TokenReview; rejects only when the API could not be asked. */
export type TokenReviewer = (token: string, audiences: string[]) => Promise<TokenReviewStatus>;

export interface TokenAuthOptions {
  audiences: string[];
  trustDomain: string;
  /** How long a review is reused for the same token (default 60 s); proxies reconnect in bursts. */
  cacheTtlMs?: number;
  /** Most reviews remembered at once (default 10,000). */
  cacheSize?: number;
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
  private readonly cache = new Map<string, { at: number; result: Promise<Identity> }>();
  private readonly ttl: number;
  private readonly size: number;
  private readonly now: () => number;

  constructor(
    private readonly review: TokenReviewer,
    private readonly opts: TokenAuthOptions,
  ) {
    this.ttl = opts.cacheTtlMs ?? 60_000;
    this.size = opts.cacheSize ?? 10_000;
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
    if (hit && now - hit.at < this.ttl) return hit.result;
    const result = this.check(token);
    if (this.cache.size >= this.size) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { at: now, result });
    // A failed review is not remembered: the next attempt asks again.
    result.catch(() => this.cache.delete(key));
    return result;
  }

  private async check(token: string): Promise<Identity> {
    let st: TokenReviewStatus;
    try {
      st = await this.review(token, this.opts.audiences);
    } catch (e) {
      throw new AuthError(
        grpc.status.UNAUTHENTICATED,
        `token review failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (!st.authenticated) {
      throw new AuthError(grpc.status.UNAUTHENTICATED, `token rejected: ${st.error || 'not authenticated'}`);
    }
    // The API server only authenticates a token for an audience it names;
    // an answer without our audience means the token was minted for another.
    if (st.audiences && !st.audiences.some((a) => this.opts.audiences.includes(a))) {
      throw new AuthError(
        grpc.status.UNAUTHENTICATED,
        `token is for audiences ${st.audiences.join(',')}, not ${this.opts.audiences.join(',')}`,
      );
    }
    const user = st.user?.username ?? '';
    const sa = SA_USER.exec(user);
    if (!sa) {
      throw new AuthError(grpc.status.UNAUTHENTICATED, `token user ${user || '(none)'} is not a service account`);
    }
    return { trustDomain: this.opts.trustDomain, namespace: sa[1]!, serviceAccount: sa[2]!, via: 'token' };
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
