import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage } from '../envoy';
import type { DebugScope } from './access';
import type { AuthError, Identity } from './auth';
import type { Connection } from './connection';
import { clip } from './log-limit';
import type { XdsMetrics } from './metrics';
import { MatchBudgetError, selectNodes, type MatchLimits } from './node-match';
import { PreAuthQueue } from './pre-auth-queue';
import type { OutgoingMessage } from './services';
import { clientConfigOf } from './syncz';

type Stream = grpc.ServerDuplexStream<Buffer, OutgoingMessage>;
type Unary = grpc.ServerUnaryCall<Buffer, Buffer>;

/** A refusal carried to the caller as a gRPC status. */
class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** What the CSDS service needs from the server that hosts it. */
export interface StatusHost {
  readonly limits: {
    match: MatchLimits;
    maxQueuedStatusRequests: number;
    preAuthRequests: number;
    preAuthBytes: number;
  };
  readonly metrics: XdsMetrics;
  /** The proxies a caller with `scope` may see, found without looking at any other. */
  visibleProxies(scope: DebugScope): Connection[];
  /** The identity the call proves (undefined on a trusted port); rejects with an AuthError. */
  identify(call: Stream | Unary): Promise<Identity | undefined>;
  scopeOf(id: Identity | undefined): DebugScope;
  /** Registers a stream for shutdown; false when the server is stopping and has refused it. */
  track(call: Stream): boolean;
}

/**
 * Envoy's ClientStatusDiscoveryService, answered from the same state as
 * syncz. Node matchers run only over the proxies the caller may see (istiod
 * scopes its syncz the same way: pilot/pkg/xds/statusgen.go:
 * callerNamespaceFilter), within limits.match.
 */
export class StatusService {
  constructor(private readonly host: StatusHost) {}

  fetch(call: Unary, cb: grpc.sendUnaryData<Buffer>): void {
    this.host.identify(call).then(
      (id) => {
        try {
          cb(null, this.answer(call.request, this.host.scopeOf(id)));
        } catch (e) {
          const err = asStatus(e);
          cb({ code: err.code, details: err.message });
        }
      },
      (e: AuthError) => cb({ code: e.code, details: e.message }),
    );
  }

  stream(call: Stream): void {
    if (!this.host.track(call)) return;
    const { limits, metrics } = this.host;
    let scope: DebugScope = { all: true };
    let ended = false;
    const waiting: Buffer[] = [];
    const end = (code: grpc.status, details: string) => {
      if (ended) return;
      ended = true;
      waiting.length = 0;
      call.emit('error', { code, details });
    };
    // One answer per event-loop turn, so a stream of requests cannot keep
    // other clients waiting; a client that sends faster than that is refused.
    const next = () => {
      const bytes = waiting[0];
      if (ended || bytes === undefined) return;
      try {
        call.write(this.answer(bytes, scope));
      } catch (e) {
        const err = asStatus(e);
        return end(err.code, err.message);
      }
      waiting.shift();
      if (waiting.length > 0) setImmediate(next);
    };
    const enqueue = (bytes: Buffer) => {
      if (ended) return;
      if (waiting.length >= limits.maxQueuedStatusRequests) {
        metrics.refused.inc({ limit: 'csds_queued_requests' });
        return end(
          grpc.status.RESOURCE_EXHAUSTED,
          `more than ${limits.maxQueuedStatusRequests} ClientStatusRequests waiting on one stream`,
        );
      }
      waiting.push(bytes);
      if (waiting.length === 1) setImmediate(next);
    };
    const gate = new PreAuthQueue(limits, enqueue, (e) => end(e.code, e.message));
    call.on('data', (bytes: Buffer) => gate.push(bytes));
    // Answer what was asked before the client half-closed, then close.
    const finish = (): void => {
      if (ended) return;
      if (waiting.length > 0) {
        setImmediate(finish);
        return;
      }
      ended = true;
      call.end();
    };
    call.on('end', finish);
    call.on('error', () => undefined);
    this.host.identify(call).then(
      (id) => {
        scope = this.host.scopeOf(id);
        gate.open();
      },
      (e: AuthError) => gate.refuse(e),
    );
  }

  /** One ClientStatusResponse; throws a StatusError for the caller. */
  private answer(bytes: Buffer, scope: DebugScope): Buffer {
    let config;
    try {
      const req = decodeMessage('envoy.service.status.v3.ClientStatusRequest', bytes);
      const selected = selectNodes(req.node_matchers, this.host.visibleProxies(scope), this.host.limits.match);
      config = selected.map(clientConfigOf);
    } catch (e) {
      if (e instanceof MatchBudgetError) {
        this.host.metrics.refused.inc({ limit: 'csds_match_work' });
        throw new StatusError(grpc.status.RESOURCE_EXHAUSTED, e.message);
      }
      throw new StatusError(grpc.status.INVALID_ARGUMENT, `malformed ClientStatusRequest: ${clip(errText(e))}`);
    }
    return encodeMessage('envoy.service.status.v3.ClientStatusResponse', { config });
  }
}

function asStatus(e: unknown): StatusError {
  return e instanceof StatusError ? e : new StatusError(grpc.status.INTERNAL, errText(e));
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
