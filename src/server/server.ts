import { hostname } from 'node:os';
import type { WaypointController } from '../controller/controller';
import { DEFAULT_DEPLOY } from '../controller/waypoint-objects';
import type { Logger } from 'pino';
import { isLoopback, startDebugServer } from '../debug/server';
import { adszJson, configDumpJson, explainServed, synczJson } from '../debug/views';
import { kubeTokenReviewer } from '../controller/token-review';
import { WebhookConfigController } from '../controller/webhook-config';
import { startWebhookServer, type WebhookServer } from '../webhook/server';
import { DEFAULT_SCOPE, DEFAULT_TRUST_DOMAIN, ROOT_NAMESPACE, TOKEN_AUDIENCE } from '../model';
import {
  CertificateAuthenticator,
  SnapshotCache,
  TokenReviewAuthenticator,
  XdsServer,
  type Authenticator,
} from '../xds';
import { proxyAccess } from './proxy-auth';
import { readTlsFiles, tlsCredentials, tlsCredentialsFrom } from './tls';
import { startCa } from './ca';
import type { RunningCa } from '../ca/setup';
import { SetupError } from './errors';
import { isLogLevel, LOG_LEVELS, scoped, scopeLevels, setScopeLevel } from './log';
import { VERSION } from '../version';
import { startPipeline, type Pipeline } from './pipeline';
import { rejectzJson } from './pipeline-reject';
import type { ServeOptions } from './options';

export interface RunningServer {
  xdsPort?: number;
  xdsTlsPort?: number;
  webhookPort?: number;
  /** Keeps the webhook configuration's CA bundle and failurePolicy current (Kubernetes mode). */
  webhookConfig?: WebhookConfigController;
  debugPort: number;
  pipeline: Pipeline;
  xds: XdsServer;
  /** The certificate authority, when it runs. */
  ca?: RunningCa;
  stop(): Promise<void>;
}

/** Starts everything `serve` runs; resolves once the ports are bound. */
export async function startServer(opts: ServeOptions, log: Logger): Promise<RunningServer> {
  const cache = new SnapshotCache();
  const pipeline = await startPipeline({ ...opts, gatewayClass: opts.scope?.gatewayClass }, cache, log);
  const auth = opts.auth ?? {
    trustDomain: DEFAULT_TRUST_DOMAIN,
    audiences: [TOKEN_AUDIENCE],
    systemNamespace: ROOT_NAMESPACE,
  };
  const xds = new XdsServer({
    controlPlaneId: controlPlaneId(),
    cache,
    logger: scoped(log, 'xds'),
    debounce: opts.debounce,
    changeArrivedAt: () => pipeline.store.arrivedAt,
    proxyKey: pipeline.proxyKey,
    onDemand: (key) => pipeline.demand(key),
    access: proxyAccess(auth.systemNamespace),
  });
  pipeline.onKeysChanged(() => xds.refreshKeys());
  // The controller's leader lease also decides which replica creates the CA's
  // self-signed root, so it is elected before the CA starts.
  let controller: WaypointController | undefined;
  if (pipeline.kube) {
    // Loaded only in Kubernetes mode: the Kubernetes client is slow to load and --config-dir never uses it.
    const { DEFAULT_CONTROLLER, WaypointController } = await import('../controller/controller');
    controller = new WaypointController(pipeline.kube.kubeConfig, scoped(log, 'controller'), {
      ...DEFAULT_CONTROLLER,
      identity: `${hostname()}-${process.pid}`,
      deploy: opts.deploy ?? DEFAULT_DEPLOY,
      scope: opts.scope ?? DEFAULT_SCOPE,
      leaseDurationMs: opts.lease?.durationMs ?? DEFAULT_CONTROLLER.leaseDurationMs,
      renewEveryMs: opts.lease?.renewMs ?? DEFAULT_CONTROLLER.renewEveryMs,
    });
    const c = controller;
    pipeline.onUpdate((world, statuses) => c.update(world, statuses()));
    controller.start();
  }
  const leader = controller;
  let ca: RunningCa | undefined;
  try {
    // In directory mode a root made in memory could vouch for no one, so auto leaves it off.
    const wanted = opts.ca && (opts.ca.mode === 'on' || pipeline.kube || opts.ca.cacertsDir);
    ca = wanted ? await startCa(opts.ca!, auth, pipeline, log, leader && (() => leader.isLeader)) : undefined;
  } catch (e) {
    controller?.stop();
    await pipeline.stop();
    throw e;
  }
  const tlsOn = opts.tls !== undefined || ca !== undefined;
  const authenticators: Authenticator[] = [];
  if (opts.tls?.caFile || ca) authenticators.push(new CertificateAuthenticator(auth.trustDomain));
  if (tlsOn && pipeline.kube) {
    authenticators.push(
      new TokenReviewAuthenticator(kubeTokenReviewer(pipeline.kube.kubeConfig), {
        audiences: auth.audiences,
        trustDomain: auth.trustDomain,
      }),
    );
  }
  let xdsPort: number | undefined;
  let xdsTlsPort: number | undefined;
  let webhook: WebhookServer | undefined;
  let debug: Awaited<ReturnType<typeof startDebugServer>>;
  try {
    if (tlsOn && authenticators.length === 0) {
      throw new SetupError(
        '--xds-tls-port authenticates every stream: without a cluster to review tokens, give --tls-ca-file for client certificates',
      );
    }
    // Anyone who can reach the plaintext port can read any proxy's config, so
    // against a real cluster it is served only when asked for.
    const plainPort = opts.xdsPort === undefined ? (pipeline.kube ? undefined : 15010) : (opts.xdsPort ?? undefined);
    if (plainPort !== undefined) {
      const address = opts.xdsAddress ?? '127.0.0.1';
      xdsPort = await xds.listen(hostPort(address, plainPort));
      if (!isLoopbackAddress(address))
        log.warn(
          { xdsPort, address },
          'plaintext xDS port is open beyond this machine: it does not authenticate proxies',
        );
    }
    if (ca) {
      const creds = tlsCredentialsFrom(
        // Files given are read again on every refresh, so their rotation still needs no restart.
        ca.tlsSource(opts.tls && (() => readTlsFiles(opts.tls!))),
        opts.tls?.certFile ?? 'issued by the CA',
        { log: scoped(log, 'tls') },
      );
      xdsTlsPort = await xds.listen(hostPort(opts.listenAddress, opts.xdsTlsPort), creds, {
        authenticators,
        services: [ca.service(authenticators)],
      });
    } else if (opts.tls) {
      const creds = tlsCredentials(opts.tls, { log: scoped(log, 'tls') });
      xdsTlsPort = await xds.listen(hostPort(opts.listenAddress, opts.xdsTlsPort), creds, { authenticators });
    }
    if ((opts.tls || ca) && opts.webhook) {
      // Without certificate files the webhook serves the certificate our CA issues, as istiod's does.
      const own = opts.tls ? undefined : ca;
      webhook = await startWebhookServer({
        host: opts.listenAddress,
        port: opts.webhook.port,
        certFile: opts.tls?.certFile ?? 'issued by the CA',
        keyFile: opts.tls?.keyFile ?? 'issued by the CA',
        log: scoped(log, 'webhook'),
        source: own && (() => own.servingPair()),
      });
    }
    debug = await startDebugServer(
      {
        syncz: (q) => synczJson(xds, q),
        adsz: (q) => adszJson(xds, q),
        configDump: (id) => configDumpJson(xds, cache, id),
        ambientz: () => pipeline.ambientz(),
        explain: (input) => explainServed(pipeline.served(), cache, input, (key) => pipeline.demand(key)),
        rejectz: () => rejectzJson(pipeline.rejections()),
        metrics: async () =>
          (await xds.metrics.registry.metrics()) + (await pipeline.metrics()) + ((await ca?.metricsText()) ?? ''),
        ready: () => pipeline.ready(),
        history: () => xds.history,
        logLevels: () => scopeLevels(log),
        setLogLevel: (level, scope) => {
          if (!isLogLevel(level)) throw new Error(`level ${level} is not one of ${LOG_LEVELS.join(', ')}`);
          setScopeLevel(log, level, scope);
          log.info({ level, logScope: scope ?? 'all' }, 'log level changed');
        },
      },
      {
        host: opts.debugAddress,
        port: opts.debugPort,
        exposeDebug: opts.exposeDebug,
        log: scoped(log, 'debug'),
        clientLog: xds.clientLog,
      },
    );
  } catch (e) {
    // Nothing half-started may keep the process alive.
    ca?.stop();
    controller?.stop();
    await webhook?.close();
    await xds.close();
    await pipeline.stop();
    throw e;
  }
  if (xdsPort === undefined && xdsTlsPort === undefined)
    log.warn(
      pipeline.kube
        ? 'serving no xDS port: against a cluster the plaintext port is off unless --xds-port is given, and the TLS port needs --tls-cert-file and --tls-key-file'
        : 'serving no xDS port: --xds-port is off and no --tls-cert-file/--tls-key-file were given',
    );
  let webhookConfig: WebhookConfigController | undefined;
  if (pipeline.kube && controller) {
    const c = controller;
    ca?.publishRoots(() => c.isLeader);
    const own = opts.tls ? undefined : ca;
    if (webhook && (opts.webhook?.caFile || own)) {
      webhookConfig = new WebhookConfigController(pipeline.kube.kubeConfig, scoped(log, 'webhook-config'), {
        name: opts.webhook!.configName,
        caFile: own ? 'the CA roots' : opts.webhook!.caFile!,
        caBundle: own && (() => own.authority.rootCerts),
        namespace: auth.systemNamespace,
        intervalMs: 10_000,
      });
      webhookConfig.start();
    }
  }
  log.info(
    {
      xdsPort,
      xdsAddress: xdsPort === undefined ? undefined : (opts.xdsAddress ?? '127.0.0.1'),
      xdsTlsPort,
      webhookPort: webhook?.port,
      debugPort: debug.port,
      source: pipeline.sourceName,
    },
    'serving',
  );
  return {
    xdsPort,
    xdsTlsPort,
    webhookPort: webhook?.port,
    webhookConfig,
    debugPort: debug.port,
    pipeline,
    xds,
    ca,
    async stop() {
      ca?.stop();
      controller?.stop();
      webhookConfig?.stop();
      await webhook?.close();
      await debug.close();
      await xds.close();
      await pipeline.stop();
    },
  };
}

/**
 * Which replica answers, in istiod's form (pilot/pkg/xds/xdsgen.go:
 * ControlPlane): JSON naming the component, the pod and the version, so
 * proxy-status can tell replicas apart.
 */
function controlPlaneId(): string {
  return JSON.stringify({
    Component: 'istiod-lite',
    ID: process.env.POD_NAME || hostname(),
    Info: { version: VERSION },
  });
}

/** `host:port`, with an IPv6 literal in brackets as gRPC expects. */
function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || isLoopback(host.replace(/^\[|\]$/g, ''));
}
