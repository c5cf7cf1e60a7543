import { DEFAULT_MATCH_LIMITS, type MatchLimits } from './node-match';

/** Bounds on what one client may ask of the server; each breach is a clear error for that stream. */
export interface XdsLimits {
  /** Largest request message accepted, in bytes. */
  maxRequestBytes: number;
  /** Most resource names one request may subscribe to or name. */
  maxNamesPerRequest: number;
  /** Most names one stream may be subscribed to, over all its types. */
  maxNamesPerStream: number;
  /** Most names the streams of one HTTP/2 connection may be subscribed to together. */
  maxNamesPerConnection: number;
  /** Longest node id accepted (Istio's are well under 300 characters). */
  maxNodeIdLength: number;
  /** What one CSDS request's node matchers may cost. */
  match: MatchLimits;
  /** CSDS requests one stream may have waiting; they are answered one per event-loop turn. */
  maxQueuedStatusRequests: number;
  /** Most concurrent streams on one HTTP/2 connection. */
  maxStreamsPerConnection: number;
  /**
   * What a stream may send before its authentication completes, and how long
   * that may take: a client that floods or stalls there is refused before it
   * costs more than this.
   */
  preAuthRequests: number;
  preAuthBytes: number;
  authTimeoutMs: number;
}

export const DEFAULT_LIMITS: XdsLimits = {
  maxRequestBytes: 4 << 20,
  maxNamesPerRequest: 100_000,
  maxNamesPerStream: 100_000,
  maxNamesPerConnection: 250_000,
  maxNodeIdLength: 2048,
  match: DEFAULT_MATCH_LIMITS,
  maxQueuedStatusRequests: 16,
  maxStreamsPerConnection: 10_000,
  preAuthRequests: 16,
  preAuthBytes: 1 << 20,
  authTimeoutMs: 10_000,
};
