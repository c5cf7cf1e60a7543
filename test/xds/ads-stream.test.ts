// The SotW and Delta streams driven without a network: a call double stands
// in for the gRPC socket and a recording host for the server's shared rules,
// so "the server sent nothing" is a fact checked when the request returns,
// not a silence waited out.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import { DebugTypeUrl, decodeMessage, encodeMessage, TypeUrl } from '../../src/envoy';
import type { Admission, AdsCall, AdsStream, StreamHost } from '../../src/xds/ads-stream';
import { SnapshotCache } from '../../src/xds/cache';
import type { ConnectionDeps } from '../../src/xds/connection';
import { DeltaStream } from '../../src/xds/delta-stream';
import { ClientLog, DEFAULT_LOG_LIMIT, LogLimiter } from '../../src/xds/log-limit';
import { XdsMetrics } from '../../src/xds/metrics';
import type { OutgoingMessage } from '../../src/xds/services';
import { SotwStream } from '../../src/xds/sotw-stream';
import { DEFAULT_LIMITS } from '../../src/xds/limits';
import { StreamLifecycle } from '../../src/xds/stream-lifecycle';
import { NamePool } from '../../src/xds/type-state';
import { WriteBudget } from '../../src/xds/write-budget';
import { cluster } from '../support/resources';

const KEY = 'wp';

class CallDouble extends EventEmitter implements AdsCall {
  readonly written: Buffer[] = [];
  getPeer(): string {
    return '127.0.0.1:4000';
  }
  write(chunk: OutgoingMessage, done: (error?: Error | null) => void): boolean {
    this.written.push(Buffer.isBuffer(chunk) ? chunk : chunk.toBuffer());
    done();
    return true;
  }
  end(): void {}
}

function deps(): ConnectionDeps {
  const log = pino({ level: 'silent' });
  const cache = new SnapshotCache();
  cache.set(KEY, new Map([[TypeUrl.Cluster, [cluster('a')]]]));
  return {
    cache,
    metrics: new XdsMetrics(),
    log,
    ackTimeoutMs: 15_000,
    writeBudget: new WriteBudget(),
    names: new NamePool(),
    clientLog: new ClientLog(log, new LogLimiter(DEFAULT_LOG_LIMIT, () => undefined)),
  };
}

/** A host that records what a stream asked of it and admits per `admission`. */
function host(admission: (typeUrl: string) => Admission = () => 'serve') {
  const asked: string[] = [];
  const h: StreamHost = {
    accept: (conn, req) => {
      asked.push(`accept ${req.type_url}`);
      conn.key = KEY;
    },
    admit: (_conn, typeUrl) => {
      asked.push(`admit ${typeUrl}`);
      return admission(typeUrl);
    },
    withinBudget: (_peer, _conn, req, apply) => {
      asked.push(`apply ${req.type_url}`);
      apply();
    },
    syncz: () => {
      asked.push('syncz');
      return Buffer.from('syncz state');
    },
  };
  return { h, asked };
}

const sotwReq = (type_url: string, response_nonce = '') =>
  encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', {
    node: { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local' },
    type_url,
    response_nonce,
  });
const deltaReq = (type_url: string, response_nonce = '') =>
  encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
    node: { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local' },
    type_url,
    response_nonce,
  });
const sotwNonce = (b: Buffer) => decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', b).nonce;
const deltaNonce = (b: Buffer) => decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', b).nonce;

describe('ADS streams without a network', () => {
  it('a SotW stream answers syncz from the server; a Delta stream leaves it to the shared rules (ignored)', () => {
    const sotwCall = new CallDouble();
    const sotw = host();
    new SotwStream(sotwCall, deps(), sotw.h).onRequest(sotwReq(DebugTypeUrl.Syncz));
    assert.deepEqual(sotw.asked, [`accept ${DebugTypeUrl.Syncz}`, 'syncz']);
    assert.deepEqual(sotwCall.written, [Buffer.from('syncz state')]);

    const deltaCall = new CallDouble();
    const delta = host(() => 'drop');
    new DeltaStream(deltaCall, deps(), delta.h).onRequest(deltaReq(DebugTypeUrl.Syncz));
    assert.deepEqual(delta.asked, [`accept ${DebugTypeUrl.Syncz}`, `admit ${DebugTypeUrl.Syncz}`]);
    assert.deepEqual(deltaCall.written, []);
  });

  for (const [name, make, req, nonceOf] of [
    ['SotW', SotwStream, sotwReq, sotwNonce],
    ['Delta', DeltaStream, deltaReq, deltaNonce],
  ] as const) {
    it(`${name}: the first request is answered, its ACK is recorded and answered with nothing`, () => {
      const call = new CallDouble();
      const stream: AdsStream = new make(call, deps(), host().h);
      stream.onRequest(req(TypeUrl.Cluster));
      assert.equal(call.written.length, 1);
      const nonce = nonceOf(call.written[0]!);
      stream.onRequest(req(TypeUrl.Cluster, nonce));
      assert.equal(call.written.length, 1, 'nothing is written for an ACK');
      assert.equal(stream.conn.states.get(TypeUrl.Cluster)?.nonceAcked, nonce);
      stream.conn.close();
    });
  }

  it('requests behind one that waits for its configuration are handled after it, in order', async () => {
    const call = new CallDouble();
    let ready!: () => void;
    const built = new Promise<void>((r) => (ready = r));
    let first = true;
    const { h, asked } = host(() => {
      if (!first) return 'serve';
      first = false;
      return built;
    });
    const stream = new SotwStream(call, deps(), h);
    const log = pino({ level: 'silent' });
    const life = new StreamLifecycle(
      call,
      stream,
      {
        limits: DEFAULT_LIMITS,
        metrics: new XdsMetrics(),
        log,
        clientLog: new ClientLog(log, new LogLimiter(DEFAULT_LOG_LIMIT, () => undefined)),
      },
      () => undefined,
    );
    life.open();
    call.emit('data', sotwReq(TypeUrl.Cluster));
    call.emit('data', sotwReq(TypeUrl.Listener));
    assert.deepEqual(call.written, [], 'nothing is served before the configuration is built');
    assert.equal(stream.conn.requestsHandled, 0);
    ready();
    await built;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      asked.filter((a) => a.startsWith('apply')),
      [`apply ${TypeUrl.Cluster}`, `apply ${TypeUrl.Listener}`],
    );
    assert.equal(call.written.length, 2);
    assert.equal(stream.conn.requestsHandled, 2);
    stream.conn.close();
  });
});
