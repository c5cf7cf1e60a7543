import type * as k8s from '@kubernetes/client-node';
import { kubeRequest } from './rest';

/** The part of a TokenReview's status that says who the token is. */
export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; groups?: string[]; extra?: Record<string, string[] | undefined> };
  audiences?: string[];
  error?: string;
}

/**
 * Asks the API server who a bearer token belongs to (authentication.k8s.io
 * TokenReview), for the audiences a proxy's token must be minted for.
 */
export function kubeTokenReviewer(
  kc: k8s.KubeConfig,
): (token: string, audiences: string[]) => Promise<TokenReviewStatus> {
  return async (token, audiences) => {
    const review = (await kubeRequest(
      kc,
      'POST',
      '/apis/authentication.k8s.io/v1/tokenreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
      'application/json',
    )) as { status?: TokenReviewStatus } | undefined;
    return review?.status ?? { authenticated: false, error: 'TokenReview returned no status' };
  };
}
