import type * as k8s from '@kubernetes/client-node';
import { callOptions, k8sLib } from './kube-api';

/**
 * Asks the API server who a bearer token belongs to (authentication.k8s.io
 * TokenReview), for the audiences a proxy's token must be minted for
 * (security/pkg/k8s/tokenreview/k8sauthn.go: ValidateK8sJwt).
 */
export function kubeTokenReviewer(
  kc: k8s.KubeConfig,
): (token: string, audiences: string[]) => Promise<k8s.V1TokenReviewStatus> {
  const api = kc.makeApiClient(k8sLib().AuthenticationV1Api);
  return async (token, audiences) => {
    const review = await api.createTokenReview(
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } },
      callOptions(),
    );
    return review.status ?? { authenticated: false, error: 'TokenReview returned no status' };
  };
}
