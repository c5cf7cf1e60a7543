import * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { isResourceType, typeUrlOf, verifyTypeUrls } from '../envoy';
import { encodeControlPlane } from './frame';
import { namespaceAccess, type AccessPolicy, type DebugScope } from './access';
import { authenticate, AuthError, type Authenticator, type Identity, spiffeUri } from './auth';
import type { Admission, AdsStream, StreamHost } from './ads-stream';
import type { SnapshotCache } from './cache';
import type { Connection } from './connection';
import { DeltaStream } from './delta-stream';
import { XdsMetrics } from './metrics';
import { PushHistory } from './push-history';
import { SECRET_REFUSED_MESSAGE, secretRequestRefused } from './secret-access';
import { clip, ClientLog, DEFAULT_LOG_LIMIT, LogLimiter, type LogLimitOptions } from './log-limit';
import { keyByNodeId, parseNode, proxyVersion, type ProxyKeyFn } from './node';
import { DEFAULT_DEBOUNCE, type DebounceOptions, type PushBatch, PushQueue } from './push-queue';
import { adsDefinition, csdsDefinition, type OutgoingMessage } from './services';
import { SotwStream } from './sotw-stream';
import { clientConfigOf, encodeSynczResponse } from './syncz';
import { ConnectionIndex } from './connection-index';
import { BadRequest, checkRequest, type Request } from './request';
import { DEFAULT_MATCH_LIMITS } from './node-match';
import { DEFAULT_LIMITS, type XdsLimits } from './limits';
import { NameBudget } from './name-budget';
import { errText, type LifecycleDeps, peerOf, StreamLifecycle } from './stream-lifecycle';
import { StatusService } from './csds';
import { NamePool } from './type-state';
import { DEFAULT_WRITE_BUDGET, WriteBudget, type WriteBudgetOptions } from './write-budget';

export { DEFAULT_LIMITS, type XdsLimits } from './limits';

export interface XdsServerOptions {
  cache: SnapshotCache;
  proxyKey?: ProxyKeyFn;
  /**
   * Called before a stream of `key` is answered from the cache (and when a
   * proxy's key changes), so the owner can build that key's configuration on
   * demand; it must have put it in the cache when it returns, or return a
   * promise that settles once it has: the stream's requests wait for it, as
   * istiod's first push for a proxy waits on what generating it fetches.
   */
  onDemand?: (key: string) => Promise<void> | void;
  logger?: Logger;
  debounce?: Partial<DebounceOptions>;
  /**
   * When the configuration change the cache is being updated for arrived, if
   * known; the debounce counts from it (push-queue.ts). Default: the moment
   * the cache changes.
   */
  changeArrivedAt?: () => number | undefined;
  /** Longest wait for a push's ACKs before the next push goes anyway (default 15 s). */
  ackTimeoutMs?: number;
  controlPlaneId?: string;
  limits?: Partial<XdsLimits>;
  /** What authenticated streams may receive (default: namespaceAccess() with no control-plane namespace). */
  access?: AccessPolicy;
  /** The cap on bytes queued to HTTP/2 that first syncs wait on (default DEFAULT_WRITE_BUDGET). */
  writeBudget?: Partial<WriteBudgetOptions>;
  /** How many log lines one client, and all clients for one reason, may cause (default DEFAULT_LOG_LIMIT). */
  logLimit?: Partial<LogLimitOptions>;
}

/** How one listening port treats its streams. */
export interface ListenOptions {
  /**
   * When set, every stream on the port must prove an identity with one of
   * these before any request is served, and is then held to the AccessPolicy.
   * Without it the port trusts its callers (the plaintext port, for local use).
   */
  authenticators?: readonly Authenticator[];
  /** Other gRPC services served on the same port (the certificate service on the TLS port). */
  services?: ReadonlyArray<{ definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }>;
}

type Stream = grpc.ServerDuplexStream<Buffer, OutgoingMessage>;

/**
 * The ADS server (SotW and Delta on one port) plus CSDS and the syncz debug
 * type. It knows the protocol; what to send comes from the SnapshotCache.
 */
export class XdsServer {
  readonly metrics = new XdsMetrics();
  /** Recent pushes and convergence times, for the debug page. */
  readonly history = new PushHistory();
  private readonly servers: grpc.Server[] = [];
  private readonly limits: XdsLimits;
  private readonly access: AccessPolicy;
  /** Ends a stream with an error; kept per connection so a key change can revoke it. */
  private readonly failers = new Map<string, (e: AuthError) => void>();
  private readonly index = new ConnectionIndex();
  private readonly queue: PushQueue;
  private readonly log: Logger;
  /** Lines a client's behaviour causes (refusals, NACKs, stream churn), rate-limited per client and reason. */
  readonly clientLog: ClientLog;
  private readonly keyOf: ProxyKeyFn;
  private readonly unsubscribe: () => void;
  private readonly controlPlane: Buffer;
  /** The cap on bytes queued to HTTP/2, shared by every stream of every port. */
  readonly writeBudget: WriteBudget;
  private readonly names = new NamePool();
  /** Every open ADS and CSDS stream, so shutdown can end each with a status clients retry on. */
  private readonly calls = new Set<Stream>();
  private readonly nameBudget: NameBudget;
  private readonly lifecycle: LifecycleDeps;
  private closing = false;
  /** The shared request rules, as each protocol's stream sees them. */
  private readonly host: StreamHost = {
    accept: (conn, req) => this.accept(conn, req),
    admit: (conn, typeUrl) => this.admit(conn, typeUrl),
    withinBudget: (peer, conn, req, apply) => this.withinBudget(peer, conn, req, apply),
    syncz: (conn) => this.synczResponse(conn),
  };

  constructor(private readonly opts: XdsServerOptions) {
    verifyTypeUrls([typeUrlOf('envoy.service.status.v3.ClientConfig')]);
    this.limits = {
      ...DEFAULT_LIMITS,
      ...opts.limits,
      match: { ...DEFAULT_MATCH_LIMITS, ...opts.limits?.match },
    };
    this.nameBudget = new NameBudget(this.limits);
    this.access = opts.access ?? namespaceAccess();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.clientLog = new ClientLog(
      this.log,
      new LogLimiter({ ...DEFAULT_LOG_LIMIT, ...opts.logLimit }, (reason) =>
        this.metrics.logsSuppressed.inc({ reason }),
      ),
    );
    this.keyOf = opts.proxyKey ?? keyByNodeId;
    this.controlPlane = encodeControlPlane(opts.controlPlaneId ?? 'istiod-lite');
    this.writeBudget = new WriteBudget({ ...DEFAULT_WRITE_BUDGET, ...opts.writeBudget });
    this.queue = new PushQueue({ ...DEFAULT_DEBOUNCE, ...opts.debounce }, (b) => this.push(b));
    this.unsubscribe = opts.cache.subscribe((changes) => this.queue.add(changes, opts.changeArrivedAt?.()));
    this.lifecycle = { limits: this.limits, metrics: this.metrics, log: this.log, clientLog: this.clientLog };
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
    const status = new StatusService({
      limits: this.limits,
      metrics: this.metrics,
      visibleProxies: (scope) => this.index.visible(scope),
      identify: (call) => this.identify(call, auth),
      scopeOf: (id) => this.scopeOf(id),
      track: (call) => {
        if (this.refuseWhileClosing(call)) return false;
        this.calls.add(call);
        for (const ev of ['end', 'error', 'close', 'cancelled']) call.on(ev, () => this.calls.delete(call));
        return true;
      },
    });
    server.addService(adsDefinition, {
      StreamAggregatedResources: (call: Stream) => this.serve(call, new SotwStream(call, this.deps(), this.host), auth),
      DeltaAggregatedResources: (call: Stream) => this.serve(call, new DeltaStream(call, this.deps(), this.host), auth),
    });
    server.addService(csdsDefinition, {
      StreamClientStatus: (call: Stream) => status.stream(call),
      FetchClientStatus: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        status.fetch(call, cb),
    });
    for (const svc of opts.services ?? []) server.addService(svc.definition, svc.implementation);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /**
   * Stops accepting, ends every stream and drops all state. Streams end with
   * UNAVAILABLE, which xDS clients treat as "reconnect, perhaps elsewhere";
   * grpc-js's own shutdown would cancel them (CANCELLED) instead. istiod's
   * streams see UNAVAILABLE when its gRPC server stops
   * (pilot/pkg/bootstrap/server.go: waitForShutdown).
   */
  async close(): Promise<void> {
    this.closing = true;
    this.unsubscribe();
    this.queue.close();
    for (const c of this.index.all.values()) c.close();
    for (const call of [...this.calls]) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'control plane is shutting down; reconnect' });
    }
    this.calls.clear();
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
    return this.index.all;
  }

  /** Re-evaluates every proxy's key (e.g. after the waypoint set changed) and pushes moved proxies. */
  refreshKeys(): void {
    for (const c of this.index.all.values()) {
      if (!c.proxy) continue;
      const key = this.keyOf(c.proxy);
      if (key === c.key) continue;
      // The proxy now stands for something else; its identity must cover that too.
      const denied = c.identity && c.states.size > 0 ? this.access.denyConfig(c.proxy, key, c.identity) : undefined;
      if (denied) {
        this.clientLog.warn(
          c.label,
          { proxy: clip(c.label), identity: spiffeUri(c.identity!), key, reason: clip(denied) },
          'permission denied',
        );
        this.failers.get(c.id)?.(new AuthError(grpc.status.PERMISSION_DENIED, denied));
        continue;
      }
      const hold = key !== undefined ? this.opts.onDemand?.(key) : undefined;
      this.index.setKey(c, key);
      // A key whose configuration is still being fetched for is pushed once it is there, not empty first.
      const push = () => c.schedulePush(c.states.keys(), Date.now());
      if (hold) void hold.then(push);
      else push();
    }
  }

  syncz(scope: DebugScope = { all: true }): ReturnType<typeof clientConfigOf>[] {
    return this.index.visible(scope).map(clientConfigOf);
  }

  private deps() {
    return {
      cache: this.opts.cache,
      metrics: this.metrics,
      log: this.log,
      clientLog: this.clientLog,
      ackTimeoutMs: this.opts.ackTimeoutMs ?? 15_000,
      controlPlane: this.controlPlane,
      writeBudget: this.writeBudget,
      names: this.names,
      history: this.history,
    };
  }

  private push(batch: PushBatch): void {
    for (const [key, { types, since }] of batch) {
      for (const c of this.index.withKey(key)) c.schedulePush(types, since);
    }
  }

  /** Runs one ADS stream: authentication first, then its requests; its bookkeeping lives here. */
  private serve(call: Stream, stream: AdsStream, auth: readonly Authenticator[] | undefined): void {
    if (this.refuseWhileClosing(call)) return;
    const conn = stream.conn;
    // A stream counts as connected (adsz, syncz, metrics) once it is trusted.
    let registered = false;
    const register = () => {
      registered = true;
      this.index.add(conn);
    };
    const life = new StreamLifecycle(call, stream, this.lifecycle, () => {
      this.calls.delete(call);
      this.nameBudget.release(call.getPeer(), conn);
      conn.close();
      this.failers.delete(conn.id);
      if (!registered) return;
      this.index.remove(conn);
      if (conn.proxy) this.metrics.connected.dec({ version: proxyVersion(conn.proxy) });
      this.clientLog.info(conn.label, { proxy: clip(conn.label), protocol: conn.protocol }, 'stream closed');
    });
    this.calls.add(call);
    this.failers.set(conn.id, (e) => life.fail(e.code, e.message));
    if (!auth) {
      register();
      life.open();
      return;
    }
    this.identify(call, auth).then(
      (id) => {
        if (life.isDone) return;
        conn.identity = id;
        register();
        life.open();
      },
      (e: AuthError) => life.refuse(e),
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
      this.clientLog.warn(
        peerOf(call),
        { peer: call.getPeer(), error: clip(err.message), detail: err.detail && clip(err.detail) },
        'stream refused',
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A stream that arrives while the server stops is told to go elsewhere. */
  private refuseWhileClosing(call: Stream): boolean {
    if (!this.closing) return false;
    call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'control plane is shutting down; reconnect' });
    return true;
  }

  private scopeOf(id: Identity | undefined): DebugScope {
    return id ? this.access.debugScope(id) : { all: true };
  }

  /** Refuses configuration the stream's identity may not have (only on authenticating ports). */
  private authorize(conn: Connection): void {
    if (!conn.identity || !conn.proxy) return;
    const denied = this.access.denyConfig(conn.proxy, conn.key, conn.identity);
    if (!denied) return;
    this.clientLog.warn(
      conn.label,
      { proxy: clip(conn.label), identity: spiffeUri(conn.identity), key: conn.key, reason: clip(denied) },
      'permission denied',
    );
    throw new AuthError(grpc.status.PERMISSION_DENIED, denied);
  }

  /** The node on a stream's first request names the proxy; it is only guaranteed there. */
  private accept(conn: Connection, req: Request): void {
    if (!conn.proxy) {
      if (!req.node?.id) throw new BadRequest(`first ${req.kind} on a stream must carry node.id`);
      if (req.node.id.length > this.limits.maxNodeIdLength) {
        throw new BadRequest(
          `node.id is ${req.node.id.length} characters; the limit is ${this.limits.maxNodeIdLength}`,
        );
      }
      conn.proxy = parseNode(req.node);
      this.metrics.connected.inc({ version: proxyVersion(conn.proxy) });
      this.index.identified(conn, this.keyOf(conn.proxy));
      this.clientLog.info(
        conn.label,
        { proxy: clip(conn.label), key: conn.key, protocol: conn.protocol },
        'stream opened',
      );
      if (conn.key === undefined)
        this.clientLog.warn(conn.label, { proxy: clip(conn.label) }, 'proxy maps to no configuration; serving none');
    }
    checkRequest(req, this.limits.maxNamesPerRequest);
  }

  /** Refused secrets and unknown types are dropped; a proxy's configuration is built on demand before it is served. */
  private admit(conn: Connection, typeUrl: string): Admission {
    if (secretRequestRefused(typeUrl, conn.identity)) {
      this.clientLog.warn(conn.label, { proxy: clip(conn.label) }, SECRET_REFUSED_MESSAGE);
      return 'drop';
    }
    if (!isResourceType(typeUrl)) {
      if (!conn.states.get(typeUrl))
        this.clientLog.warn(
          conn.label,
          { proxy: clip(conn.label), type: clip(typeUrl, 200) },
          'request for a type this server does not serve; ignored',
        );
      return 'drop';
    }
    this.authorize(conn);
    const hold = conn.key !== undefined ? this.opts.onDemand?.(conn.key) : undefined;
    return hold ? hold : 'serve';
  }

  private withinBudget(peer: string, conn: Connection, req: Request, apply: () => void): void {
    this.nameBudget.check(peer, conn, req);
    apply();
    this.nameBudget.record(peer, conn);
  }

  private synczResponse(conn: Connection): Buffer {
    return encodeSynczResponse(this.syncz(this.scopeOf(conn.identity)), this.controlPlane);
  }
}
