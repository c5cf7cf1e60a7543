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
import { inScope, namespaceAccess, type AccessPolicy, type DebugScope } from './access';
import { authenticate, AuthError, type Authenticator, type Identity, spiffeUri } from './auth';
import { PreAuthQueue } from './pre-auth-queue';
import type { SnapshotCache } from './cache';
import type { Connection } from './connection';
import { DeltaConnection } from './delta';
import { XdsMetrics } from './metrics';
import { keyByNodeId, parseNode, type ProxyKeyFn } from './node';
import { DEFAULT_DEBOUNCE, type DebounceOptions, type PushBatch, PushQueue } from './push-queue';
import { adsDefinition, csdsDefinition, type OutgoingMessage } from './services';
import { SotwConnection } from './sotw';
import { clientConfigOf, nodeMatcher, proxiesOf } from './syncz';
import { NamePool } from './type-state';
import { DEFAULT_WRITE_BUDGET, WriteBudget, type WriteBudgetOptions } from './write-budget';

export interface XdsServerOptions {
  cache: SnapshotCache;
  proxyKey?: ProxyKeyFn;
  logger?: Logger;
  debounce?: Partial<DebounceOptions>;
  /** Longest wait for a push's ACKs before the next push goes anyway (default 15 s). */
  ackTimeoutMs?: number;
  controlPlaneId?: string;
  limits?: Partial<XdsLimits>;
  /** What authenticated streams may receive (default: namespaceAccess() with no control-plane namespace). */
  access?: AccessPolicy;
  /** The cap on bytes queued to HTTP/2 that first syncs wait on (default DEFAULT_WRITE_BUDGET). */
  writeBudget?: Partial<WriteBudgetOptions>;
}

/** How one listening port treats its streams. */
export interface ListenOptions {
  /**
   * When set, every stream on the port must prove an identity with one of
   * these before any request is served, and is then held to the AccessPolicy.
   * Without it the port trusts its callers (the plaintext port, for local use).
   */
  authenticators?: readonly Authenticator[];
}

/** Bounds on what one client may ask of the server; each breach is a clear error for that stream. */
export interface XdsLimits {
  /** Largest request message accepted, in bytes. */
  maxRequestBytes: number;
  /** Most resource names one request may subscribe to or name. */
  maxNamesPerRequest: number;
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
  maxStreamsPerConnection: 10_000,
  preAuthRequests: 16,
  preAuthBytes: 1 << 20,
  authTimeoutMs: 10_000,
};

type Stream = grpc.ServerDuplexStream<Buffer, OutgoingMessage>;

class BadRequest extends Error {}

/**
 * The ADS server (SotW and Delta on one port) plus CSDS and the syncz debug
 * type. It knows the protocol; what to send comes from the SnapshotCache.
 */
export class XdsServer {
  readonly metrics = new XdsMetrics();
  private readonly servers: grpc.Server[] = [];
  private readonly limits: XdsLimits;
  private readonly access: AccessPolicy;
  /** Ends a stream with an error; kept per connection so a key change can revoke it. */
  private readonly failers = new Map<string, (e: AuthError) => void>();
  private readonly conns = new Map<string, Connection>();
  private readonly byKey = new Map<string, Set<Connection>>();
  private readonly queue: PushQueue;
  private readonly log: Logger;
  private readonly keyOf: ProxyKeyFn;
  private readonly unsubscribe: () => void;
  private readonly controlPlane: Buffer;
  /** The cap on bytes queued to HTTP/2, shared by every stream of every port. */
  readonly writeBudget: WriteBudget;
  private readonly names = new NamePool();

  constructor(private readonly opts: XdsServerOptions) {
    verifyTypeUrls([typeUrlOf('envoy.service.status.v3.ClientConfig')]);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.access = opts.access ?? namespaceAccess();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.keyOf = opts.proxyKey ?? keyByNodeId;
    this.controlPlane = encodeControlPlane(opts.controlPlaneId ?? 'istiod-lite');
    this.writeBudget = new WriteBudget({ ...DEFAULT_WRITE_BUDGET, ...opts.writeBudget });
    this.queue = new PushQueue({ ...DEFAULT_DEBOUNCE, ...opts.debounce }, (b) => this.push(b));
    this.unsubscribe = opts.cache.subscribe((changes) => this.queue.add(changes));
  }

  /**
   * Binds one port and starts serving on it; resolves to the bound port.
   * Each port is its own gRPC server so that its streams can be held to its
   * own authentication rule; all of them share the proxies and the cache.
   */
  listen(
    address = '127.0.0.1:0',
    creds = grpc.ServerCredentials.createInsecure(),
    opts: ListenOptions = {},
  ): Promise<number> {
    const server = new grpc.Server({
      'grpc.max_concurrent_streams': this.limits.maxStreamsPerConnection,
      'grpc.max_receive_message_length': this.limits.maxRequestBytes,
    });
    const auth = opts.authenticators;
    server.addService(adsDefinition, {
      StreamAggregatedResources: (call: Stream) => this.stream(call, new SotwConnection(call, this.deps()), auth),
      DeltaAggregatedResources: (call: Stream) => this.stream(call, new DeltaConnection(call, this.deps()), auth),
    });
    server.addService(csdsDefinition, {
      StreamClientStatus: (call: Stream) => this.csdsStream(call, auth),
      FetchClientStatus: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        this.identify(call, auth).then(
          (id) => {
            try {
              cb(null, this.clientStatus(call.request, this.scopeOf(id)));
            } catch (e) {
              cb({ code: grpc.status.INVALID_ARGUMENT, details: `malformed ClientStatusRequest: ${errText(e)}` });
            }
          },
          (e: AuthError) => cb({ code: e.code, details: e.message }),
        );
      },
    });
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /** Stops accepting, ends every stream and drops all state. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.queue.close();
    for (const c of this.conns.values()) c.close();
    this.writeBudget.close();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.tryShutdown(() => resolve());
            setTimeout(() => {
              server.forceShutdown();
              resolve();
            }, 1000).unref();
          }),
      ),
    );
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
      // The proxy now stands for something else; its identity must cover that too.
      const denied = c.identity && c.states.size > 0 ? this.access.denyConfig(c.proxy, key, c.identity) : undefined;
      if (denied) {
        this.log.warn({ proxy: c.label, identity: spiffeUri(c.identity!), key }, `permission denied: ${denied}`);
        this.failers.get(c.id)?.(new AuthError(grpc.status.PERMISSION_DENIED, denied));
        continue;
      }
      this.index(c, key);
      c.schedulePush(c.states.keys(), Date.now());
    }
  }

  syncz(scope: DebugScope = { all: true }): ReturnType<typeof clientConfigOf>[] {
    return proxiesOf(this.conns.values())
      .filter((c) => inScope(scope, c.proxy))
      .map(clientConfigOf);
  }

  private deps() {
    return {
      cache: this.opts.cache,
      metrics: this.metrics,
      log: this.log,
      ackTimeoutMs: this.opts.ackTimeoutMs ?? 15_000,
      controlPlane: this.controlPlane,
      writeBudget: this.writeBudget,
      names: this.names,
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

  private stream(
    call: Stream,
    conn: SotwConnection | DeltaConnection,
    auth: readonly Authenticator[] | undefined,
  ): void {
    let done = false;
    // A stream counts as connected (adsz, syncz, metrics) once it is trusted.
    let registered = false;
    const register = () => {
      registered = true;
      this.conns.set(conn.id, conn);
      this.metrics.connected.inc({ protocol: conn.protocol });
    };
    const finish = () => {
      if (done) return;
      done = true;
      conn.close();
      this.failers.delete(conn.id);
      if (!registered) return;
      this.index(conn, undefined);
      this.conns.delete(conn.id);
      this.metrics.connected.dec({ protocol: conn.protocol });
      this.log.info({ proxy: conn.label, protocol: conn.protocol }, 'stream closed');
    };
    const fail = (code: grpc.status, details: string) => {
      if (done) return;
      finish();
      call.emit('error', { code, details });
    };
    this.failers.set(conn.id, (e) => fail(e.code, e.message));
    const handle = (bytes: Buffer) => {
      if (done) return;
      try {
        this.onRequest(call, conn, bytes);
      } catch (e) {
        if (e instanceof AuthError) return fail(e.code, e.message);
        const bad = e instanceof BadRequest;
        this.log.warn({ proxy: conn.label, error: errText(e) }, bad ? 'bad request; closing stream' : 'request failed');
        fail(bad ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, errText(e));
      }
    };
    const gate = new PreAuthQueue(this.limits, handle, (e) => fail(e.code, e.message));
    call.on('data', (bytes: Buffer) => gate.push(bytes));
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('close', finish);
    call.on('cancelled', finish);
    if (!auth) {
      register();
      gate.open();
      return;
    }
    this.identify(call, auth).then(
      (id) => {
        if (done) return;
        conn.identity = id;
        register();
        gate.open();
      },
      (e: AuthError) => gate.refuse(e),
    );
  }

  /**
   * The identity a call proves on a port that authenticates (undefined on a
   * trusted port), within limits.authTimeoutMs. Rejects with an AuthError.
   */
  private async identify(
    call: Stream | grpc.ServerUnaryCall<Buffer, Buffer>,
    auth: readonly Authenticator[] | undefined,
  ): Promise<Identity | undefined> {
    if (!auth) return undefined;
    const cert = call.getAuthContext()?.sslPeerCertificate;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AuthError(
              grpc.status.UNAVAILABLE,
              `authentication did not complete within ${this.limits.authTimeoutMs} ms; retry`,
            ),
          ),
        this.limits.authTimeoutMs,
      );
    });
    try {
      const id = await Promise.race([authenticate(auth, { metadata: call.metadata, peerCertificate: cert }), deadline]);
      this.log.debug({ peer: call.getPeer(), identity: spiffeUri(id), via: id.via }, 'stream authenticated');
      return id;
    } catch (e) {
      // A failure that is not a refusal is our bug: say so, without its text.
      const err = e instanceof AuthError ? e : new AuthError(grpc.status.INTERNAL, 'authentication failed', errText(e));
      this.log.warn({ peer: call.getPeer(), error: err.message, detail: err.detail }, 'stream refused');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private scopeOf(id: Identity | undefined): DebugScope {
    return id ? this.access.debugScope(id) : { all: true };
  }

  /** Refuses configuration the stream's identity may not have (only on authenticating ports). */
  private authorize(conn: Connection): void {
    if (!conn.identity || !conn.proxy) return;
    const denied = this.access.denyConfig(conn.proxy, conn.key, conn.identity);
    if (!denied) return;
    this.log.warn(
      { proxy: conn.label, identity: spiffeUri(conn.identity), key: conn.key },
      `permission denied: ${denied}`,
    );
    throw new AuthError(grpc.status.PERMISSION_DENIED, denied);
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
      call.write(this.synczResponse(this.scopeOf(conn.identity)));
      return;
    }
    if (isResourceType(typeUrl)) this.authorize(conn);
    else {
      const st = conn.states.get(typeUrl);
      if (!st)
        this.log.warn({ proxy: conn.label, type: typeUrl }, 'request for a type this server does not serve; ignored');
      return;
    }
    if (conn instanceof SotwConnection) conn.handle(req as Parameters<SotwConnection['handle']>[0]);
    else conn.handle(req as Parameters<DeltaConnection['handle']>[0]);
  }

  private synczResponse(scope: DebugScope): Buffer {
    const url = typeUrlOf('envoy.service.status.v3.ClientConfig');
    const fields = this.syncz(scope).map((cfg) =>
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

  private clientStatus(bytes: Buffer, scope: DebugScope): Buffer {
    const req = decodeMessage('envoy.service.status.v3.ClientStatusRequest', bytes);
    const matches = nodeMatcher(req.node_matchers);
    const config = proxiesOf(this.conns.values())
      .filter((c) => inScope(scope, c.proxy) && matches(c))
      .map(clientConfigOf);
    return encodeMessage('envoy.service.status.v3.ClientStatusResponse', { config });
  }

  private csdsStream(call: Stream, auth: readonly Authenticator[] | undefined): void {
    let scope: DebugScope = { all: true };
    const answer = (bytes: Buffer) => {
      try {
        call.write(this.clientStatus(bytes, scope));
      } catch (e) {
        call.emit('error', {
          code: grpc.status.INVALID_ARGUMENT,
          details: `malformed ClientStatusRequest: ${errText(e)}`,
        });
      }
    };
    const gate = new PreAuthQueue(this.limits, answer, (e) => call.emit('error', { code: e.code, details: e.message }));
    call.on('data', (bytes: Buffer) => gate.push(bytes));
    call.on('end', () => call.end());
    call.on('error', () => undefined);
    this.identify(call, auth).then(
      (id) => {
        scope = this.scopeOf(id);
        gate.open();
      },
      (e: AuthError) => gate.refuse(e),
    );
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
