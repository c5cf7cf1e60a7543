import { DebugTypeUrl } from '../envoy';
import type { AdsCall, AdsStream, StreamHost } from './ads-stream';
import type { ConnectionDeps } from './connection';
import { decodeRequest } from './request';
import { SotwConnection } from './sotw';

/**
 * One StreamAggregatedResources stream: DiscoveryRequests, each answered
 * with the whole set of a type (or the named part of it). It also answers
 * the syncz debug type from the server's state
 * (pilot/pkg/xds/statusgen.go: StatusGen.Generate).
 */
export class SotwStream implements AdsStream {
  readonly conn: SotwConnection;

  constructor(
    private readonly call: AdsCall,
    deps: ConnectionDeps,
    private readonly host: StreamHost,
  ) {
    this.conn = new SotwConnection(call, deps);
  }

  onRequest(bytes: Buffer): Promise<void> | undefined {
    this.conn.beginWork();
    const req = decodeRequest('sotw', bytes);
    this.host.accept(this.conn, req);
    // Debug state comes from the server, not from the cache, and is not tracked for ACKs.
    if (req.type_url === DebugTypeUrl.Syncz) {
      this.call.write(this.host.syncz(this.conn), () => undefined);
      return;
    }
    const admission = this.host.admit(this.conn, req.type_url);
    if (admission === 'drop') return;
    if (admission !== 'serve') return admission;
    this.host.withinBudget(this.call.getPeer(), this.conn, req, () => this.conn.handle(req));
  }
}
