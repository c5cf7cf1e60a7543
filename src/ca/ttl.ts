// Certificate lifetimes, apart from the CA itself: serve's flag defaults
// need them, and the CA's modules (and the X.509 library they load) are
// loaded only when a CA runs.

/** istiod's DEFAULT_WORKLOAD_CERT_TTL and MAX_WORKLOAD_CERT_TTL defaults (pilot/pkg/features/security.go). */
export const DEFAULT_CERT_TTL_MS = 24 * 3600_000;
export const MAX_CERT_TTL_MS = 90 * 24 * 3600_000;
