import * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import {
  decodeMessage,
  DebugTypeUrl,
  encodeControlPlane,
  encodeMessage,
  encodeSotwResponse,
  isResourceType,
  lenField,
  encodeAny,
  typeUrlOf,
  verifyTypeUrls,
} from '../envoy';
import type { SnapshotCache } from './cache';
import type { Connection } from './connection';
import { DeltaConnection } from './delta';
import { XdsMetrics } from './metrics';
import { keyByNodeId, parseNode, type ProxyKeyFn } from './node';
import { DEFAULT_DEBOUNCE, type DebounceOptions, type PushBatch, PushQueue } from './push-queue';
import { adsDefinition, csdsDefinition } from './services';
import { SotwConnection } from './sotw';
import { clientConfigOf, matchesNode, proxiesOf } from './syncz';

export interface XdsServerOptions {
  cache: SnapshotCache;
  proxyKey?: ProxyKeyFn;
  logger?: Logger;
  debounce?: Partial<DebounceOptions>;
  /** Longest wait for a push's ACKs before the next push goes anyway (default 15 s). */
  ackTimeoutMs?: number;
  controlPlaneId?: string;
  limits?: Partial<XdsLimits>;
}

/** Bounds on what one client may ask of the server; each breach is a clear error for that stream. */
export interface XdsLimits {
  /** Largest request message accepted, in bytes. */
  maxRequestBytes: number;
  /** Most resource names one request may subscribe to or name. */
  maxNamesPerRequest: number;
  /** Most concurrent streams on one HTTP/2 connection. */
  maxStreamsPerConnection: number;
}

export const DEFAULT_LIMITS: XdsLimits = {
  maxRequestBytes: 4 << 20,
  maxNamesPerRequest: 100_000,
  maxStreamsPerConnection: 10_000,
};

type Stream = grpc.ServerDuplexStream<Buffer, Buffer>;

class BadRequest extends Error {}

/**
 * The ADS server (SotW and Delta on one port) plus CSDS and the syncz debug
 * type. It knows the protocol; what to send comes from the SnapshotCache.
 */
export class XdsServer {
  readonly metrics = new XdsMetrics();
  readonly server: grpc.Server;
  private readonly limits: XdsLimits;
  private readonly conns = new Map<string, Connection>();
  private readonly byKey = new Map<string, Set<Connection>>();
  private readonly queue: PushQueue;
  private readonly log: Logger;
  private readonly keyOf: ProxyKeyFn;
  private readonly unsubscribe: () => void;
  private readonly controlPlane: Buffer;

  constructor(private readonly opts: XdsServerOptions) {
    verifyTypeUrls([typeUrlOf('envoy.service.status.v3.ClientConfig')]);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.server = new grpc.Server({
      'grpc.max_concurrent_streams': this.limits.maxStreamsPerConnection,
      'grpc.max_receive_message_length': this.limits.maxRequestBytes,
    });
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.keyOf = opts.proxyKey ?? keyByNodeId;
    this.controlPlane = encodeControlPlane(opts.controlPlaneId ?? 'istiod-lite');
    this.queue = new PushQueue({ ...DEFAULT_DEBOUNCE, ...opts.debounce }, (b) => this.push(b));
    this.unsubscribe = opts.cache.subscribe((changes) => this.queue.add(changes));
    this.server.addService(adsDefinition, {
      StreamAggregatedResources: (call: Stream) => this.stream(call, new SotwConnection(call, this.deps())),
      DeltaAggregatedResources: (call: Stream) => this.stream(call, new DeltaConnection(call, this.deps())),
    });
    this.server.addService(csdsDefinition, {
      StreamClientStatus: (call: Stream) => this.csdsStream(call),
      FetchClientStatus: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        try {
          cb(null, this.clientStatus(call.request));
        } catch (e) {
          cb({ code: grpc.status.INVALID_ARGUMENT, details: `malformed ClientStatusRequest: ${errText(e)}` });
        }
      },
    });
  }

  /** Binds and starts serving; resolves to the bound port. */
  listen(address = '127.0.0.1:0', creds = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /** Stops accepting, ends every stream and drops all state. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.queue.close();
    for (const c of this.conns.values()) c.close();
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => resolve());
      setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000).unref();
    });
  }

  /** Sends what is queued now instead of waiting for the debounce window. */
  flushNow(): void {
    this.queue.flush();
  }

  get connections(): ReadonlyMap<string, Connection> {
    return this.conns;
  }

  /** Re-evaluates every proxy's key (e.g. after the waypoint set changed) and pushes moved proxies. */
  refreshKeys(): void {
    for (const c of this.conns.values()) {
      if (!c.proxy) continue;
      const key = this.keyOf(c.proxy);
      if (key === c.key) continue;
      this.index(c, key);
      c.schedulePush(c.states.keys(), Date.now());
    }
  }

  syncz(): ReturnType<typeof clientConfigOf>[] {
    return proxiesOf(this.conns.values()).map(clientConfigOf);
  }

  private deps() {
    return {
      cache: this.opts.cache,
      metrics: this.metrics,
      log: this.log,
      ackTimeoutMs: this.opts.ackTimeoutMs ?? 15_000,
      controlPlane: this.controlPlane,
    };
  }

  private push(batch: PushBatch): void {
    for (const [key, { types, since }] of batch) {
      for (const c of this.byKey.get(key) ?? []) c.schedulePush(types, since);
    }
  }

  private index(c: Connection, key: string | undefined): void {
    if (c.key !== undefined) this.byKey.get(c.key)?.delete(c);
    if (c.key !== undefined && this.byKey.get(c.key)?.size === 0) this.byKey.delete(c.key);
    c.key = key;
    if (key === undefined) return;
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(c);
  }

  private stream(call: Stream, conn: SotwConnection | DeltaConnection): void {
    this.conns.set(conn.id, conn);
    this.metrics.connected.inc({ protocol: conn.protocol });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      conn.close();
      this.index(conn, undefined);
      this.conns.delete(conn.id);
      this.metrics.connected.dec({ protocol: conn.protocol });
      this.log.info({ proxy: conn.label, protocol: conn.protocol }, 'stream closed');
    };
    call.on('data', (bytes: Buffer) => {
      try {
        this.onRequest(call, conn, bytes);
      } catch (e) {
        const bad = e instanceof BadRequest;
        this.log.warn({ proxy: conn.label, error: errText(e) }, bad ? 'bad request; closing stream' : 'request failed');
        finish();
        call.emit('error', { code: bad ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: errText(e) });
      }
    });
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('close', finish);
    call.on('cancelled', finish);
  }

  private onRequest(call: Stream, conn: SotwConnection | DeltaConnection, bytes: Buffer): void {
    const kind = conn instanceof SotwConnection ? 'DiscoveryRequest' : 'DeltaDiscoveryRequest';
    let typeUrl: string;
    let req;
    try {
      req =
        conn instanceof SotwConnection
          ? decodeMessage('envoy.service.discovery.v3.DiscoveryRequest', bytes)
          : decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes);
      typeUrl = req.type_url;
    } catch (e) {
      throw new BadRequest(`malformed ${kind}: ${errText(e)}`);
    }
    if (!conn.proxy) {
      // The node is only guaranteed on the first request of a stream.
      if (!req.node?.id) throw new BadRequest(`first ${kind} on a stream must carry node.id`);
      conn.proxy = parseNode(req.node);
      this.index(conn, this.keyOf(conn.proxy));
      this.log.info({ proxy: conn.label, key: conn.key, protocol: conn.protocol }, 'stream opened');
      if (conn.key === undefined) this.log.warn({ proxy: conn.label }, 'proxy maps to no configuration; serving none');
    }
    if (typeUrl === '') throw new BadRequest(`${kind} without type_url`);
    const names =
      'resource_names' in req
        ? req.resource_names.length
        : req.resource_names_subscribe.length +
          req.resource_names_unsubscribe.length +
          Object.keys(req.initial_resource_versions ?? {}).length;
    if (names > this.limits.maxNamesPerRequest) {
      throw new BadRequest(
        `${kind} for ${typeUrl} names ${names} resources; the limit is ${this.limits.maxNamesPerRequest}`,
      );
    }
    if (typeUrl === DebugTypeUrl.Syncz && conn instanceof SotwConnection) {
      call.write(this.synczResponse());
      return;
    }
    if (!isResourceType(typeUrl)) {
      const st = conn.states.get(typeUrl);
      if (!st)
        this.log.warn({ proxy: conn.label, type: typeUrl }, 'request for a type this server does not serve; ignored');
      return;
    }
    if (conn instanceof SotwConnection) conn.handle(req as Parameters<SotwConnection['handle']>[0]);
    else conn.handle(req as Parameters<DeltaConnection['handle']>[0]);
  }

  private synczResponse(): Buffer {
    const url = typeUrlOf('envoy.service.status.v3.ClientConfig');
    const fields = this.syncz().map((cfg) =>
      lenField(2, encodeAny(url, encodeMessage('envoy.service.status.v3.ClientConfig', cfg))),
    );
    return encodeSotwResponse({
      versionInfo: new Date().toISOString(),
      typeUrl: DebugTypeUrl.Syncz,
      nonce: `syncz-${Date.now()}`,
      resourceFields: fields,
      controlPlane: this.controlPlane,
    });
  }

  private clientStatus(bytes: Buffer): Buffer {
    const req = decodeMessage('envoy.service.status.v3.ClientStatusRequest', bytes);
    const config = proxiesOf(this.conns.values())
      .filter((c) => matchesNode(c, req.node_matchers))
      .map(clientConfigOf);
    return encodeMessage('envoy.service.status.v3.ClientStatusResponse', { config });
  }

  private csdsStream(call: Stream): void {
    call.on('data', (bytes: Buffer) => {
      try {
        call.write(this.clientStatus(bytes));
      } catch (e) {
        call.emit('error', {
          code: grpc.status.INVALID_ARGUMENT,
          details: `malformed ClientStatusRequest: ${errText(e)}`,
        });
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
