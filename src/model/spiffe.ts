// Istio workload identities as SPIFFE IDs: the one place their format is spelt.
// The translator writes them into SAN matchers and RBAC principals; the xDS
// server reads them from client certificates.

export const SPIFFE_SCHEME = 'spiffe://';

/** `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${SPIFFE_SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

const SPIFFE_ID = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

export interface SpiffeParts {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** The parts of `spiffe://<td>/ns/<ns>/sa/<sa>`; anything else is not an Istio workload identity. */
export function parseSpiffeId(uri: string): SpiffeParts | undefined {
  const m = SPIFFE_ID.exec(uri);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : undefined;
}
