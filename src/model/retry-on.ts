// A VirtualService's `retries.retryOn` read as values, so the translator takes
// retry policies and status codes instead of splitting the text itself
// (route/retry/retry.go: parseRetryOn).

/** Go's net/http StatusText: the codes a `retryOn` entry may name. */
const KNOWN_STATUS: ReadonlySet<number> = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400,
  401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425,
  426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

export interface RetryOn {
  /** Envoy retry policies (`5xx`, `connect-failure`, …), in the order written. */
  policies: string[];
  /** HTTP status codes to retry on, in the order written. */
  codes: number[];
}

/**
 * Comma-separated entries, each trimmed, empty ones skipped: an integer
 * (as Go's strconv.Atoi reads it) that names an HTTP status is a code, any
 * other entry a policy.
 */
export function parseRetryOn(text: string): RetryOn {
  const out: RetryOn = { policies: [], codes: [] };
  for (const part of text.split(',').map((x) => x.trim())) {
    if (part === '') continue;
    const n = /^[+-]?\d+$/.test(part) ? Number(part) : NaN;
    if (KNOWN_STATUS.has(n)) out.codes.push(n);
    else out.policies.push(part);
  }
  return out;
}
