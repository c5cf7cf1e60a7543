import type { Logger } from 'pino';
import { PUSH_ORDER, shortType, TypeUrl, type PreparedResource } from '../envoy';
import type { EncodedMessage } from './frame';
import type { SnapshotCache } from './cache';
import type { Identity } from './auth';
import type { XdsMetrics } from './metrics';
import { clip, clipNames, type ClientLog } from './log-limit';
import type { ProxyInfo } from './node';
import type { OutgoingMessage } from './services';
import { type NamePool, NackRecord, sortedNames, TypeState } from './type-state';
import type { WriteBudget, WriteGrant } from './write-budget';
import type { PushHistory } from './push-history';

/** The writable half of a gRPC stream, as much of it as we use. */
export interface ResponseSink {
  /** `done` runs once HTTP/2 has taken the message (grpc-js may not call it if the stream is gone). */
  write(chunk: OutgoingMessage, done: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface ConnectionDeps {
  cache: SnapshotCache;
  metrics: XdsMetrics;
  log: Logger;
  /** Longest wait for ACKs before the next push goes out anyway. */
  ackTimeoutMs: number;
  controlPlane?: Buffer;
  /** The server-wide cap on bytes queued to HTTP/2 that first syncs wait on. */
  writeBudget: WriteBudget;
  /** Subscriptions streams of one key share. */
  names: NamePool;
  /** Where lines a client's behaviour causes go, rate-limited. */
  clientLog: ClientLog;
  /** Recent pushes, their answers and convergence times, for the debug page. */
  history?: PushHistory;
}

/** Longest NACK text kept for syncz and CSDS; the rest of a client's message is dropped. */
export const MAX_KEPT_ERROR = 4096;

/** A response waiting to be handed to gRPC. */
interface Outgoing {
  frame: Frame;
  track: boolean;
  /** Its type had never been ACKed when it was written: it waits on the write budget. */
  firstSync: boolean;
}

/** One response ready to write, and what it carried. */
export interface Frame {
  typeUrl: string;
  nonce: string;
  message: EncodedMessage;
  names: string[];
  removed: string[];
  size: number;
}

let nextId = 0;

/**
 * State shared by SotW and Delta streams: identity, per-type state, and push
 * flow control. A push goes out only when the previous one is fully ACKed or
 * NACKed (or timed out) and the stream is not backed up; pushes that arrive
 * meanwhile are merged into one, computed from the cache when it is sent, so
 * a slow proxy gets the latest config once instead of every intermediate one.
 *
 * Each response handed to gRPC holds its size in the server-wide write
 * budget until HTTP/2 has taken it. A type's first responses wait for room
 * there, and whatever the stream writes after one that waits queues behind
 * it. Protocol state (nonces, what the client holds) moves when a response
 * is written here; only the hand-off waits.
 */
export abstract class Connection {
  readonly id = `conn-${++nextId}`;
  readonly connectedAt = new Date();
  proxy?: ProxyInfo;
  key?: string;
  /** Who the stream proved to be, on a port that authenticates. */
  identity?: Identity;
  readonly states = new Map<string, TypeState>();
  /**
   * Requests handled to the end and responses written on this stream. A
   * request the server chose not to answer moves the first and not the
   * second, which is what a test waits on instead of a silence of N ms.
   */
  requestsHandled = 0;
  responsesWritten = 0;
  private readonly awaiting = new Map<string, string>();
  private readonly pending = new Set<string>();
  private pendingSince?: number;
  private inFlightSince?: number;
  /** Responses written but not yet handed to gRPC, in order, behind one waiting on the budget. */
  private readonly outbox: Outgoing[] = [];
  /** Budget held by responses handed to gRPC and not yet taken by HTTP/2. */
  private readonly grants = new Set<WriteGrant>();
  /** Withdraws the hand-off waiting on the write budget. */
  private cancelWait?: () => void;
  private blocked = false;
  private ackTimer?: NodeJS.Timeout;
  private closed = false;
  private nonceSeq = 0;
  /** When the request or push whose responses are being written began (pilot_xds_push_time). */
  private workStartedAt = process.hrtime.bigint();
  abstract readonly protocol: 'sotw' | 'delta';

  constructor(
    protected readonly sink: ResponseSink,
    protected readonly deps: ConnectionDeps,
  ) {}

  state(typeUrl: string): TypeState {
    let s = this.states.get(typeUrl);
    if (!s) {
      s = new TypeState(typeUrl);
      this.states.set(typeUrl, s);
    }
    return s;
  }

  get label(): string {
    return this.proxy?.proxyId ?? this.id;
  }

  /** A push is waiting for ACKs, for the write budget, or for the stream to drain. */
  get busy(): boolean {
    return this.awaiting.size > 0 || this.outbox.length > 0 || this.blocked;
  }

  get pendingTypes(): ReadonlySet<string> {
    return this.pending;
  }

  /** Marks the start of handling a request or computing a push, for pilot_xds_push_time. */
  beginWork(): void {
    this.workStartedAt = process.hrtime.bigint();
  }

  /** Queues a push of `types`; merged with any push not yet sent. */
  schedulePush(types: Iterable<string>, changedAt: number): void {
    if (this.closed) return;
    for (const t of types) if (this.states.get(t)?.requested) this.pending.add(t);
    if (this.pending.size === 0) return;
    this.pendingSince = Math.min(this.pendingSince ?? changedAt, changedAt);
    this.flush();
  }

  protected flush(): void {
    if (this.closed || this.busy || this.pending.size === 0) return;
    const types = new Set(this.pending);
    const since = this.pendingSince ?? Date.now();
    this.pending.clear();
    this.pendingSince = undefined;
    // A changed cluster sits warming until it gets a new assignment, so
    // endpoint state must follow any cluster update.
    if (types.has(TypeUrl.Cluster) && this.states.get(TypeUrl.Endpoint)?.requested) types.add(TypeUrl.Endpoint);
    const ordered = PUSH_ORDER.filter((t) => types.has(t));
    this.beginWork();
    const frames = this.computePush(ordered);
    if (frames.length === 0) return;
    this.inFlightSince = since;
    for (const f of frames) this.write(f, true);
  }

  /** Lets `st` share its subscribed names with other streams of this key asking for the same. */
  protected internNames(st: TypeState): void {
    if (this.key !== undefined) this.deps.names.intern(this.key, st.typeUrl, st.names);
  }

  /** Whether a type after `t` in this push is subscribed (so removals of `t` must wait). */
  protected laterRequested(types: readonly string[], t: string): boolean {
    const i = types.indexOf(t);
    return types.slice(i + 1).some((u) => this.states.get(u)?.requested);
  }

  /** Computes the responses of one push, in the order they must be written. */
  protected abstract computePush(types: readonly string[]): Frame[];

  protected nonce(): string {
    return `${this.id}-${++this.nonceSeq}`;
  }

  /**
   * A response of `st`'s type carrying `sorted`, with a fresh nonce, recorded
   * as what was last sent; the protocol supplies only the message itself.
   */
  protected frame(
    st: TypeState,
    sorted: readonly PreparedResource[],
    removed: readonly string[],
    message: (nonce: string) => EncodedMessage,
  ): Frame {
    const nonce = this.nonce();
    st.namesSent = sorted.map((r) => r.name);
    let size = 0;
    for (const r of sorted) size += r.size;
    return { typeUrl: st.typeUrl, nonce, message: message(nonce), names: st.namesSent, removed: [...removed], size };
  }

  /** Writes a response; `track` holds later pushes until it is ACKed. */
  protected write(f: Frame, track: boolean): void {
    if (this.closed) return;
    const st = this.state(f.typeUrl);
    const firstSync = st.nonceAcked === '';
    st.nonceSent = f.nonce;
    st.lastSentAt = new Date();
    this.responsesWritten++;
    const type = shortType(f.typeUrl).toLowerCase();
    this.deps.metrics.pushes.inc({ type });
    this.deps.metrics.pushTime.observe({ type }, Number(process.hrtime.bigint() - this.workStartedAt) / 1e9);
    this.deps.metrics.configSize.observe({ type }, f.size);
    this.deps.history?.pushed(this.label, f);
    if (track) this.awaiting.set(f.nonce, f.typeUrl);
    this.deps.log.debug(
      {
        proxy: this.label,
        type: shortType(f.typeUrl),
        nonce: f.nonce,
        resources: f.names.length,
        removed: f.removed.length,
      },
      'sending',
    );
    this.outbox.push({ frame: f, track, firstSync });
    this.handOff();
  }

  /** Hands queued responses to gRPC, in order, until one must wait for the budget. */
  private handOff(): void {
    while (!this.closed && !this.cancelWait && this.outbox.length > 0) {
      const next = this.outbox[0]!;
      let now: WriteGrant | undefined;
      let inCall = true;
      const cancel = this.deps.writeBudget.acquire(
        next.frame.message.length,
        (grant) => {
          if (inCall) {
            now = grant;
            return;
          }
          // The budget made room later: send this one and what queued behind it.
          this.cancelWait = undefined;
          if (this.closed) return grant.release();
          this.send(grant);
          this.handOff();
          if (this.outbox.length === 0) this.flush();
        },
        next.firstSync,
      );
      inCall = false;
      if (!now) {
        this.cancelWait = cancel;
        return;
      }
      this.send(now);
    }
  }

  private send(grant: WriteGrant): void {
    const { frame, track } = this.outbox.shift()!;
    this.grants.add(grant);
    // The ACK clock starts when the client can have the response.
    if (track && this.awaiting.has(frame.nonce)) this.armAckTimer();
    const more = this.sink.write(frame.message, () => {
      grant.release();
      this.grants.delete(grant);
    });
    if (!more && !this.blocked) {
      this.blocked = true;
      this.sink.once('drain', () => {
        this.blocked = false;
        this.flush();
      });
    }
  }

  /** Bookkeeping for a request echoing `nonce`: ACK when no error, else NACK. */
  protected settle(
    st: TypeState,
    nonce: string,
    error: { code: number; message: string } | undefined,
    version: string,
    names: string[],
  ): void {
    this.deps.history?.settled(nonce, error && clip(error.message, MAX_KEPT_ERROR));
    if (error) {
      const message = clip(error.message, MAX_KEPT_ERROR);
      const rec: NackRecord = { nonce, message, code: error.code, names, at: new Date() };
      st.error = rec;
      this.deps.metrics.rejects.inc({ type: shortType(st.typeUrl).toLowerCase() });
      // The text is the client's: it is cut short, and a client NACKing in a
      // loop gets a few lines, not one per NACK.
      this.deps.clientLog.warn(
        this.label,
        {
          proxy: clip(this.label),
          type: shortType(st.typeUrl),
          nonce,
          resources: clipNames(names),
          error: clip(error.message),
        },
        'proxy rejected configuration',
      );
    } else {
      st.error = undefined;
      st.nonceAcked = nonce;
      st.versionAcked = version;
    }
    // The names are kept only to report a rejection of this response.
    if (nonce === st.nonceSent) st.namesSent = [];
    this.release(nonce);
  }

  /** A response is settled (ACKed/NACKed or superseded): maybe send what waited. */
  protected release(nonce: string): void {
    if (!this.awaiting.delete(nonce)) return;
    if (this.awaiting.size === 0) {
      this.clearAckTimer();
      if (this.inFlightSince !== undefined) {
        this.deps.metrics.convergence.observe((Date.now() - this.inFlightSince) / 1000);
        this.deps.history?.converged(this.label, (Date.now() - this.inFlightSince) / 1000);
        this.inFlightSince = undefined;
      }
      this.flush();
    }
  }

  isAwaiting(nonce: string): boolean {
    return this.awaiting.has(nonce);
  }

  private armAckTimer(): void {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (this.awaiting.size === 0) return;
      this.deps.log.warn(
        { proxy: this.label, nonces: sortedNames(this.awaiting.keys()) },
        'no ACK within the ack timeout; sending pending config anyway',
      );
      this.awaiting.clear();
      this.flush();
    }, this.deps.ackTimeoutMs);
    this.ackTimer.unref();
  }

  private clearAckTimer(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** Drops timers and queued work; the stream is gone. */
  close(): void {
    this.closed = true;
    this.clearAckTimer();
    this.awaiting.clear();
    this.pending.clear();
    this.outbox.length = 0;
    this.cancelWait?.();
    this.cancelWait = undefined;
    for (const g of this.grants) g.release();
    this.grants.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** Resources in name order, the order every response lists them in. */
export function byName(resources: readonly PreparedResource[]): PreparedResource[] {
  return [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
