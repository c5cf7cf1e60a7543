import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AdsStream } from './ads-stream';
import { AuthError } from './auth';
import type { XdsLimits } from './limits';
import { clip, type ClientLog } from './log-limit';
import type { XdsMetrics } from './metrics';
import { OverLimit } from './name-budget';
import { PreAuthQueue } from './pre-auth-queue';
import { BadRequest } from './request';

/** The events of a gRPC call the lifecycle follows, and how it ends one. */
export interface LifecycleCall {
  getPeer(): string;
  on(event: 'data', listener: (bytes: Buffer) => void): unknown;
  on(event: 'end' | 'error' | 'close' | 'cancelled', listener: () => void): unknown;
  emit(event: 'error', status: { code: grpc.status; details: string }): unknown;
  end(): void;
}

export interface LifecycleDeps {
  limits: Pick<XdsLimits, 'preAuthRequests' | 'preAuthBytes'>;
  metrics: XdsMetrics;
  log: Logger;
  clientLog: ClientLog;
}

/**
 * One ADS stream from its first byte to its end, whatever the protocol:
 * requests wait (bounded) until the stream is trusted, then go to the
 * stream in order; a request that waits for its configuration holds the
 * ones behind it; an error a request raises ends the stream with the status
 * it maps to. `ended` runs once, however the stream ends.
 */
export class StreamLifecycle {
  private done = false;
  /** Requests that arrived while one waits for the stream's configuration, in order. */
  private waiting: Buffer[] | undefined;
  private readonly gate: PreAuthQueue;

  constructor(
    private readonly call: LifecycleCall,
    private readonly stream: AdsStream,
    private readonly deps: LifecycleDeps,
    private readonly ended: () => void,
  ) {
    this.gate = new PreAuthQueue(
      deps.limits,
      (b) => this.handle(b),
      (e) => this.fail(e.code, e.message),
    );
    call.on('data', (bytes) => this.gate.push(bytes));
    call.on('end', () => {
      this.finish();
      call.end();
    });
    for (const ev of ['error', 'close', 'cancelled'] as const) call.on(ev, () => this.finish());
  }

  get isDone(): boolean {
    return this.done;
  }

  /** The stream is trusted: requests held so far, and all later ones, are handled. */
  open(): void {
    this.gate.open();
  }

  /** Authentication failed: the stream ends with the error's status. */
  refuse(e: AuthError): void {
    this.gate.refuse(e);
  }

  /** Ends the stream with a status the client sees. */
  fail(code: grpc.status, details: string): void {
    if (this.done) return;
    this.finish();
    this.call.emit('error', { code, details });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.ended();
  }

  private handle(bytes: Buffer): void {
    if (this.done) return;
    if (this.waiting) return void this.waiting.push(bytes);
    try {
      const hold = this.stream.onRequest(bytes);
      if (!hold) this.stream.conn.requestsHandled++;
      else {
        // This request is handled again once the configuration is there.
        this.waiting = [bytes];
        void hold.finally(() => {
          const queued = this.waiting ?? [];
          this.waiting = undefined;
          for (const b of queued) this.handle(b);
        });
      }
    } catch (e) {
      this.failWith(e);
    }
  }

  /** Maps what a request raised to the status that ends the stream, and logs it. */
  private failWith(e: unknown): void {
    const { metrics, clientLog, log } = this.deps;
    const proxy = clip(this.stream.conn.label);
    if (e instanceof AuthError) return this.fail(e.code, e.message);
    if (e instanceof OverLimit) {
      metrics.refused.inc({ limit: e.limit });
      clientLog.warn(peerOf(this.call), { proxy, error: e.message }, 'limit exceeded; closing stream');
      return this.fail(grpc.status.RESOURCE_EXHAUSTED, e.message);
    }
    const bad = e instanceof BadRequest;
    if (bad) clientLog.warn(peerOf(this.call), { proxy, error: clip(errText(e)) }, 'bad request; closing stream');
    else {
      metrics.internalErrors.inc();
      log.error({ proxy, error: errText(e) }, 'request failed');
    }
    this.fail(bad ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, errText(e));
  }
}

/** The client's address without its port: what log limits key a not-yet-identified client by. */
export function peerOf(call: { getPeer(): string }): string {
  const p = call.getPeer();
  const i = p.lastIndexOf(':');
  return i > 0 ? p.slice(0, i) : p;
}

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
