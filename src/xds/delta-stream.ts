import type { AdsCall, AdsStream, StreamHost } from './ads-stream';
import type { ConnectionDeps } from './connection';
import { DeltaConnection } from './delta';
import { decodeDeltaRequest } from './delta-request';

/**
 * One DeltaAggregatedResources stream: DeltaDiscoveryRequests that
 * subscribe and unsubscribe names, answered with differences. syncz is
 * not answered here (istiod's StatusGen.GenerateDeltas would): a syncz
 * request is an unknown type on this stream (debug clients speak SotW).
 */
export class DeltaStream implements AdsStream {
  readonly conn: DeltaConnection;

  constructor(
    private readonly call: AdsCall,
    deps: ConnectionDeps,
    private readonly host: StreamHost,
  ) {
    this.conn = new DeltaConnection(call, deps);
  }

  onRequest(bytes: Buffer): Promise<void> | undefined {
    this.conn.beginWork();
    const req = decodeDeltaRequest(bytes);
    this.host.accept(this.conn, req);
    const admission = this.host.admit(this.conn, req.type_url);
    if (admission === 'drop') return;
    if (admission !== 'serve') return admission;
    this.host.withinBudget(this.call.getPeer(), this.conn, req, () => this.conn.handle(req));
  }
}
