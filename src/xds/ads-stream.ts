import type { Connection, ResponseSink } from './connection';
import type { Request } from './request';

/** The side of an ADS call a protocol stream uses: where responses go, and the peer the name budget keys by. */
export interface AdsCall extends ResponseSink {
  getPeer(): string;
}

/** A request is served now, dropped, or handled again once the promise settles (its configuration is there). */
export type Admission = 'serve' | 'drop' | Promise<void>;

/**
 * One ADS stream of one protocol (SotW or Delta). The server runs its
 * lifecycle (authentication, bookkeeping, errors); the stream decodes each
 * request and applies it to its connection.
 */
export interface AdsStream {
  readonly conn: Connection;
  /**
   * Handles one request message. Throws to end the stream (BadRequest,
   * OverLimit, AuthError); a returned promise means "hand me this request
   * again once it settles".
   */
  onRequest(bytes: Buffer): Promise<void> | undefined;
}

/** The rules every ADS stream shares, kept by the server and applied by each protocol's stream. */
export interface StreamHost {
  /** Takes the node from a stream's first request and holds each request to the per-request limits. */
  accept(conn: Connection, req: Request): void;
  /** Whether a request of `typeUrl` is served from the cache now, dropped, or waits for its configuration. */
  admit(conn: Connection, typeUrl: string): Admission;
  /** Applies a request within the stream's and the HTTP/2 connection's name budgets. */
  withinBudget(peer: string, conn: Connection, req: Request, apply: () => void): void;
  /** The syncz debug response the stream's identity may see. */
  syncz(conn: Connection): Buffer;
}
