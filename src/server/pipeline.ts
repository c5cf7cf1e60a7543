import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { AmbientIndex } from '../ambient';
import type { ConfigSource } from '../watch/source';
import { parseKey, type World } from '../model';
import { JwksResolver } from '../jwks/resolver';
import { AddressAssigningSource } from '../watch/address-source';
import { describeError } from '../watch/source';
import { DirectorySource } from '../watch/directory';
import { ConfigStore } from '../watch/store';
import { DEFAULT_OPTIONS, IncrementalTranslator, type ObjectStatus } from '../translate';
import type { ProxyInfo, ProxyKeyFn, SnapshotCache } from '../xds';
import { ambientzJson, proxyKeyFor } from './proxy-key';
import { mayMovePlaces } from './proxy-place';
import { ServeStep } from './pipeline-step';
import { RejectGate } from './pipeline-reject';
import type { Rejection } from '../translate/status/rejections';
import type { Json } from '../envoy';
import { SetupError } from './errors';
import type { KubeSource } from '../watch/kube';
import { withRefusals } from '../translate/status/refused-status';
import { PipelineMetrics } from './pipeline-metrics';
import { CaBundleReader } from '../watch/ca-bundles';
import { scoped } from './log';
import { SecretStep } from './pipeline-secrets';
import { kubeSecretReview, SecretAccess } from './secret-access';

export interface PipelineOptions {
  kubeconfig?: string;
  configDir?: string;
  inCluster?: boolean;
  /** The waypoint GatewayClass (default istio-waypoint). */
  gatewayClass?: string;
  /** Translate every waypoint on every change, not only those demanded (serve --translate-all). */
  translateAll?: boolean;
}

/** sources → World → ambient index → translator → cache, kept running. */
export interface Pipeline {
  readonly sourceName: string;
  readonly proxyKey: ProxyKeyFn;
  /**
   * A proxy of `key` connected, or a reader needs its configuration: build it
   * into the cache now if it is not there. Cheap when already demanded. A
   * promise when the configuration waits for a JWKS fetch: it settles once
   * the configuration is in the cache (or the key is gone).
   */
  demand(key: string): Promise<void> | undefined;
  onKeysChanged(cb: () => void): void;
  /**
   * Called after every applied change with the World and its statuses,
   * computed when first asked for (a directory needs none to serve).
   */
  onUpdate(cb: (world: World, statuses: () => readonly ObjectStatus[]) => void): void;
  /** The Kubernetes source, when serving from a cluster. */
  readonly kube?: KubeSource;
  ambientz(): Json;
  /** The World last translated and its index: what the cache now holds was built from them. */
  served(): { world: World; index: AmbientIndex } | undefined;
  statuses(): readonly ObjectStatus[];
  /** Resources Envoy would refuse, kept out of the cache, and those it would load with problems. */
  rejections(): readonly Rejection[];
  metrics(): Promise<string>;
  ready(): boolean;
  stop(): Promise<void>;
  readonly store: ConfigStore;
}

/** Longest a stream waits for a waypoint held back for a JWKS fetch (past any rule's fetch timeout). */
const HOLD_LIMIT_MS = 60_000;

/** The bundled example, found next to the compiled code. */
export function bundledExample(): string {
  return join(__dirname, '..', '..', '..', 'examples', 'bookinfo');
}

async function chooseSource(
  opts: PipelineOptions,
  log: Logger,
): Promise<{ source: ConfigSource; kubeSource?: KubeSource }> {
  // Inside a pod the API server is announced by these variables (what
  // client-go's in-cluster config keys on too).
  const inCluster =
    opts.inCluster ?? (Boolean(process.env.KUBERNETES_SERVICE_HOST) && Boolean(process.env.KUBERNETES_SERVICE_PORT));
  if (opts.kubeconfig || (inCluster && !opts.configDir)) {
    // Loaded only here: the Kubernetes client is slow to load and --config-dir never uses it.
    const { createKubeSource } = await import('./kube');
    const kubeSource = createKubeSource({ kubeconfig: opts.kubeconfig, log: scoped(log, 'kube') });
    return { source: kubeSource, kubeSource };
  }
  const dir = opts.configDir ?? bundledExample();
  if (!existsSync(dir)) throw new SetupError(`--config-dir ${dir}: no such directory`);
  // Files have no status to write allocated addresses to: they are derived on the way in.
  return { source: new AddressAssigningSource(new DirectorySource(dir, { log: scoped(log, 'manifests') })) };
}

export async function startPipeline(opts: PipelineOptions, cache: SnapshotCache, log: Logger): Promise<Pipeline> {
  const { source, kubeSource } = await chooseSource(opts, log);
  const kube = kubeSource !== undefined;
  const metrics = new PipelineMetrics();
  const { registry } = metrics;
  new Gauge({
    name: 'istiod_lite_config_errors',
    help: 'Input documents or objects currently rejected.',
    registers: [registry],
    // Read at scrape time: a document can turn bad (keeping its last good
    // version, so nothing changes downstream) or be fixed without a new World.
    collect() {
      this.set(source.errors().length);
    },
  });
  const store = new ConfigStore();
  const translateOptions = {
    ...DEFAULT_OPTIONS,
    gatewayClass: opts.gatewayClass ?? DEFAULT_OPTIONS.gatewayClass,
    assumeReady: !kube,
  };
  const translator = new IncrementalTranslator(translateOptions, { onDemand: !opts.translateAll });
  const gate = new RejectGate(scoped(log, 'validate'));
  const serveStep = new ServeStep(translator, cache, translateOptions, gate);
  serveStep.holdPendingJwks = true;
  new Gauge({
    name: 'istiod_lite_demanded_keys',
    help: 'Proxy keys (waypoints, ztunnel, proxyless) whose configuration is built because a proxy or reader asked for it.',
    registers: [registry],
    collect() {
      this.set(translator.onDemand ? translator.demandedCount : translator.outputs.size);
    },
  });
  new Gauge({
    name: 'istiod_lite_waypoints_translated',
    help: 'Waypoint translations kept current: one per translated waypoint, plus one per locality with a connected proxy for a waypoint whose pods span several.',
    registers: [registry],
    collect() {
      this.set(translator.outputs.size);
    },
  });
  // Against a cluster, key pairs go only to waypoints whose service account
  // may list Secrets in its namespace (sds.go: filterAuthorizedResources); a
  // directory of manifests is trusted as it stands.
  const secretAccess = kubeSource
    ? new SecretAccess(
        kubeSecretReview(kubeSource.kubeConfig),
        (ns, sa) => {
          // The waypoint's translation and those made for its localities (place keys).
          for (const out of translator.outputs.values())
            if (out.namespace === ns && out.name === sa) serveStep.secrets?.recheck(store.world, out);
        },
        scoped(log, 'sds'),
      )
    : undefined;
  serveStep.secrets = new SecretStep(
    cache,
    scoped(log, 'sds'),
    secretAccess ? (ns, sa) => secretAccess.authorize(ns, sa) : undefined,
  );
  secretAccess?.start();
  new Gauge({
    name: 'istiod_lite_rejected_resources',
    help: 'Resources Envoy would refuse, held back from the proxies.',
    registers: [registry],
    collect() {
      this.set(gate.rejections().filter((r) => r.blocking).length);
    },
  });
  const keyListeners: (() => void)[] = [];
  // Streams waiting for a waypoint held back for a JWKS fetch, by key.
  const waiting = new Map<string, (() => void)[]>();
  const releaseWaiting = () => {
    for (const [key, fns] of waiting) {
      if (serveStep.held.has(key)) continue;
      waiting.delete(key);
      for (const fn of fns) fn();
    }
  };
  const updateListeners: ((world: World, statuses: () => readonly ObjectStatus[]) => void)[] = [];
  let stepStatuses: () => readonly ObjectStatus[] = () => [];
  let statusesMemo: readonly ObjectStatus[] | undefined;
  const statuses = (): readonly ObjectStatus[] =>
    (statusesMemo ??= gate.statuses(kubeSource ? withRefusals(stepStatuses(), kubeSource.refusals()) : stepStatuses()));
  let translatedOnce = false;
  let waypointSet = '';
  let previous = store.world;

  store.subscribe((world, changed) => {
    const start = process.hrtime.bigint();
    metrics.recordBatch(previous, world, changed);
    const before = previous;
    previous = world;
    const { step } = serveStep.run(world, changed);
    releaseWaiting();
    stepStatuses = () => step.statuses;
    statusesMemo = undefined;
    metrics.translations.inc(step.translated.length);
    metrics.translateTime.observe(Number(process.hrtime.bigint() - start) / 1e9);
    metrics.waypoints.set(step.index.waypoints.size);
    translatedOnce = true;
    log.info(
      {
        changed: changed.size,
        translated: step.translated,
        removed: step.removed,
        ...(serveStep.held.size > 0 ? { waitingForJwks: [...serveStep.held.keys()] } : {}),
        ...(translator.onDemand ? { demanded: translator.demandedCount } : {}),
      },
      'configuration updated',
    );
    for (const cb of updateListeners) cb(world, statuses);
    const now = [...step.index.waypoints.keys()].join(',');
    // A waypoint's pods moving between localities may move its proxies between place keys (proxy-place.ts).
    if (now !== waypointSet || mayMovePlaces(changed, before, world, translateOptions.rootNamespace)) {
      waypointSet = now;
      for (const cb of keyListeners) cb();
    }
  });
  // istiod's default: the control plane fetches remote JWKS and inlines them.
  // A RequestAuthentication change triggers the fetches it needs; keys reach
  // the translator as one more change. Refreshes run on the resolver's timer.
  const jwks = new JwksResolver({
    log: scoped(log, 'jwks'),
    rootNamespace: translateOptions.rootNamespace,
  });
  const resolveJwks = (world: World) =>
    jwks.sync(world).then(
      (c) => c && store.enqueue([c]),
      (e: unknown) => log.warn({ error: String(e) }, 'JWKS resolution failed'),
    );
  store.subscribe((world, changed) => {
    if ([...changed].some((k) => parseKey(k).kind === 'RequestAuthentication')) void resolveJwks(world);
  });
  jwks.start((c) => store.enqueue([c]));
  // Against a cluster, the CA bundles BackendTLSPolicies name are read by name
  // (ca-bundles.ts) rather than watched with every other ConfigMap.
  const caBundles = kubeSource
    ? new CaBundleReader((ns, name) => kubeSource.readConfigMap(ns, name), scoped(log, 'kube'))
    : undefined;
  const readCaBundles = (world: World) =>
    caBundles?.sync(world).then(
      (c) => c.length > 0 && store.enqueue(c),
      (e: unknown) => log.warn({ error: String(e) }, 'reading CA bundles failed'),
    );
  if (caBundles) {
    store.subscribe((world, changed) => {
      if ([...changed].some((k) => parseKey(k).kind === 'BackendTLSPolicy')) void readCaBundles(world);
    });
    caBundles.start(
      () => store.world,
      (c) => store.enqueue(c),
    );
  }
  // The first World is translated once, with the CA bundles it needs read
  // (released below): the xDS server does not listen before this returns, so
  // no proxy could see the World without them anyway. JWKS fetches are not
  // waited for: istiod's readiness waits for its informers only
  // (pilot/pkg/bootstrap/server.go: cachesSynced), and a waypoint needing a
  // key set not fetched yet is held out of the cache instead (pipeline-jwks.ts).
  store.hold();
  store.attach(source);
  if (kubeSource) {
    kubeSource.onRefusal(() => {
      if (!translatedOnce) return;
      statusesMemo = withRefusals(statuses(), kubeSource.refusals());
      for (const cb of updateListeners) cb(store.world, statuses);
    });
    try {
      log.info({ version: await kubeSource.probe() }, 'connected to Kubernetes');
    } catch (e) {
      throw new SetupError(e instanceof Error ? e.message : String(e));
    }
  }
  await source.start();
  // The directory source logs its own problems as they appear, rate-limited.
  if (kube) for (const e of source.errors()) log.warn({ error: describeError(e) }, 'rejected input');
  store.flush();
  void resolveJwks(store.world);
  await readCaBundles(store.world);
  store.flush();
  store.release();
  if (!translatedOnce) translatedOnce = true;

  return {
    sourceName: source.name,
    store,
    proxyKey: (p: ProxyInfo) => proxyKeyFor(p, translator.index, log, previous, translateOptions.rootNamespace),
    demand: (key) => {
      const start = process.hrtime.bigint();
      if (serveStep.demand(key)) {
        // What Envoy would refuse in the new translation shows in the statuses at once.
        statusesMemo = undefined;
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        metrics.translations.inc(translator.outputs.has(key) ? 1 : 0);
        log.info(
          {
            key,
            ms: Math.round(ms * 10) / 10,
            ...(serveStep.held.has(key) ? { waitingForJwks: serveStep.held.get(key) } : {}),
          },
          'translated on demand',
        );
      }
      if (!serveStep.held.has(key)) return undefined;
      // The fetch settles within its rule's timeout and its result arrives as
      // a change; the bound here only keeps a stream from waiting forever
      // should that change never come.
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HOLD_LIMIT_MS);
        timer.unref();
        let list = waiting.get(key);
        if (!list) waiting.set(key, (list = []));
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    onKeysChanged: (cb) => void keyListeners.push(cb),
    onUpdate: (cb) => {
      updateListeners.push(cb);
      if (translatedOnce) cb(store.world, statuses);
    },
    kube: kubeSource,
    ambientz: () => ambientzJson(translator.index),
    served: () => (translator.index ? { world: previous, index: translator.index } : undefined),
    statuses,
    rejections: () => gate.rejections(),
    metrics: () => registry.metrics(),
    ready: () => source.synced && translatedOnce,
    stop: () => {
      jwks.stop();
      caBundles?.stop();
      secretAccess?.stop();
      return source.stop();
    },
  };
}
