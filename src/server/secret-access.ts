import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { callOptions, k8sLib } from '../controller/kube-api';

/** Whether `user` may list Secrets in `namespace`, and the API server's reason when not. */
export type SecretReview = (namespace: string, user: string) => Promise<{ allowed: boolean; reason?: string }>;

/**
 * credentials/kube/secrets.go: Authorize — a SubjectAccessReview for the
 * proxy's service account: may it `list` `secrets` in its namespace.
 */
export function kubeSecretReview(kc: k8s.KubeConfig): SecretReview {
  const api = kc.makeApiClient(k8sLib().AuthorizationV1Api);
  return async (namespace, user) => {
    const review = await api.createSubjectAccessReview(
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb: 'list', resource: 'secrets' }, user },
        },
      },
      callOptions(),
    );
    return { allowed: review.status?.allowed === true, reason: review.status?.reason };
  };
}

interface Entry {
  allowed?: boolean;
  expires: number;
  pending: boolean;
}

/** secrets.go: cacheTTL — a refusal is asked again after a minute, a grant after five. */
const DENY_TTL_MS = 60_000;
const ALLOW_TTL_MS = 5 * DENY_TTL_MS;

/**
 * Answers from the last review of each service account, asking the API
 * server again when that answer has expired (secrets.go: cachedAuthorization).
 * Until the first answer arrives a service account gets no key pairs; when an
 * answer changes, `changed` is told so the secrets are built again. A review
 * that fails counts as a refusal, as in istiod.
 */
export class SecretAccess {
  private readonly entries = new Map<string, Entry>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly review: SecretReview,
    private readonly changed: (namespace: string, serviceAccount: string) => void,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps answers fresh without waiting for a push to ask, so a revoked grant is noticed. */
  start(intervalMs = DENY_TTL_MS): void {
    this.timer = setInterval(() => {
      for (const key of this.entries.keys()) {
        const [ns = '', sa = ''] = key.split('/');
        this.authorize(ns, sa);
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  authorize(namespace: string, serviceAccount: string): boolean | undefined {
    const key = `${namespace}/${serviceAccount}`;
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { expires: 0, pending: false }));
    if (!e.pending && e.expires <= this.now()) this.ask(namespace, serviceAccount, e);
    return e.allowed;
  }

  private ask(namespace: string, serviceAccount: string, e: Entry): void {
    e.pending = true;
    const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
    const settle = (allowed: boolean, reason?: string) => {
      e.pending = false;
      e.expires = this.now() + (allowed ? ALLOW_TTL_MS : DENY_TTL_MS);
      if (e.allowed === allowed) return;
      e.allowed = allowed;
      if (!allowed)
        this.log?.warn(
          { serviceAccount: `${namespace}/${serviceAccount}`, reason },
          'service account may not list secrets in its namespace; its waypoint gets no key pairs',
        );
      this.changed(namespace, serviceAccount);
    };
    this.review(namespace, user).then(
      (r) => settle(r.allowed, r.reason),
      (err: unknown) => settle(false, err instanceof Error ? err.message : String(err)),
    );
  }
}
