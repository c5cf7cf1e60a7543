import type { Connection } from './connection';
import type { DeltaRequest } from './request';
import type { DiscoveryRequest } from './sotw';

/** A request that would take a stream past one of the name limits; `limit` labels the refusal metric. */
export class OverLimit extends Error {
  constructor(
    readonly limit: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Holds each stream, and all streams of one HTTP/2 connection together, to a
 * number of subscribed names: the per-request limit alone lets a client grow
 * one subscription a request at a time (40 requests once built 4 million
 * names on one stream). A connection is known by its peer address and port.
 */
export class NameBudget {
  private readonly byPeer = new Map<string, number>();
  private readonly byStream = new WeakMap<Connection, number>();

  constructor(private readonly limits: { maxNamesPerStream: number; maxNamesPerConnection: number }) {}

  /** Throws an OverLimit when `req` would take `conn` or its connection past a limit; checked before it is applied. */
  check(peer: string, conn: Connection, req: DiscoveryRequest | DeltaRequest): void {
    const mine = subscribedAfter(conn, req);
    const onConnection = (this.byPeer.get(peer) ?? 0) - (this.byStream.get(conn) ?? 0) + mine;
    const { maxNamesPerStream, maxNamesPerConnection } = this.limits;
    if (mine > maxNamesPerStream) {
      throw new OverLimit(
        'names_per_stream',
        `the stream subscribes to ${mine} resource names; the limit is ${maxNamesPerStream} per stream`,
      );
    }
    if (onConnection > maxNamesPerConnection) {
      throw new OverLimit(
        'names_per_connection',
        `the streams of this connection subscribe to ${onConnection} resource names; the limit is ${maxNamesPerConnection} per connection`,
      );
    }
  }

  /** Records what `conn` subscribes to now (after a request was applied). */
  record(peer: string, conn: Connection): void {
    this.set(peer, conn, subscribedNames(conn));
  }

  /** The stream is gone: its names no longer count against its connection. */
  release(peer: string, conn: Connection): void {
    this.set(peer, conn, 0);
  }

  private set(peer: string, conn: Connection, n: number): void {
    const total = (this.byPeer.get(peer) ?? 0) - (this.byStream.get(conn) ?? 0) + n;
    if (n === 0) this.byStream.delete(conn);
    else this.byStream.set(conn, n);
    if (total <= 0) this.byPeer.delete(peer);
    else this.byPeer.set(peer, total);
  }
}

/** Names a stream subscribes to, over all its types. */
function subscribedNames(conn: Connection): number {
  let n = 0;
  for (const st of conn.states.values()) n += st.names.size;
  return n;
}

/** What subscribedNames would be once `req` is applied. */
function subscribedAfter(conn: Connection, req: DiscoveryRequest | DeltaRequest): number {
  const st = conn.states.get(req.type_url);
  const had = st?.names.size ?? 0;
  let now: number;
  if ('resource_names' in req) {
    // SotW: the request's names replace the type's subscription.
    const names = new Set(req.resource_names);
    names.delete('*');
    now = names.size;
  } else {
    const added = new Set<string>();
    for (const n of req.resource_names_subscribe) if (n !== '*' && !st?.names.has(n)) added.add(n);
    let removed = 0;
    for (const n of new Set(req.resource_names_unsubscribe)) if (st?.names.has(n) && !added.has(n)) removed++;
    now = had + added.size - removed;
  }
  return subscribedNames(conn) - had + now;
}
