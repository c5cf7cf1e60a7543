import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  apiVersionOf,
  keyOf,
  KINDS,
  objectKey,
  problemsOf,
  scoped,
  type Change,
  type KindInfo,
  type KubeObject,
} from '../model';
import { CrdWatch } from './kube-crds';
import type { ChangeListener, ConfigSource, SourceError } from './source';

export interface KubeSourceOptions {
  kubeconfig?: string;
  /** A ready KubeConfig (tests); otherwise loaded from `kubeconfig` or the in-cluster environment. */
  config?: k8s.KubeConfig;
  log?: Logger;
  kinds?: readonly KindInfo[];
  /** Check objects against the schemas of the CRDs the cluster serves (default true). */
  crdSchemas?: boolean;
  /** Backoff bounds for restarting a failed informer. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Watched {
  kind: KindInfo;
  /** Index into kind.versions of the version being watched. */
  version: number;
  informer: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>;
  synced: boolean;
  missing: boolean;
  backoffMs: number;
  timer?: NodeJS.Timeout;
  lastError?: string;
}

function statusOf(err: unknown): number | undefined {
  if (err && typeof err === 'object') {
    const e = err as { statusCode?: unknown; code?: unknown; response?: { statusCode?: unknown } };
    for (const v of [e.statusCode, e.code, e.response?.statusCode]) if (typeof v === 'number') return v;
  }
  return undefined;
}

/**
 * Whether the API server does not serve the kind at the version asked: a 404,
 * or the client's discovery finding the group version without the kind (a
 * CRD that serves other versions, or a group with other kinds installed).
 */
function notServed(err: unknown): boolean {
  if (statusOf(err) === 404) return true;
  return err instanceof Error && err.message.startsWith('Unrecognized API version and kind');
}

/**
 * A Watch that says when a watch request is healthy: the API server answered
 * 200 and the stream is open. client-node's Watch reports a refused watch
 * through `done` before its promise resolves, so a watch whose promise
 * resolves with `done` not yet called is one that is running.
 */
class HealthWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly onHealthy: () => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    let ended = false;
    const controller = await super.watch(path, query, callback, (err: unknown) => {
      ended = true;
      done(err);
    });
    if (!ended) this.onHealthy();
    return controller;
  }
}

function path(k: KindInfo, version: number): string {
  const v = k.versions[version] ?? 'v1';
  const ns = k.watchScope?.namespace ? `/namespaces/${k.watchScope.namespace}` : '';
  return k.group ? `/apis/${k.group}/${v}${ns}/${k.plural}` : `/api/${v}${ns}/${k.plural}`;
}

/** An informer's object as our input: its kind filled in, trimmed to what we read. */
function shaped(kind: KindInfo, o: k8s.KubernetesObject, apiVersion: string): KubeObject {
  const full = scoped({ ...o, apiVersion: o.apiVersion ?? apiVersion, kind: kind.kind } as KubeObject);
  return kind.trim ? kind.trim(full) : full;
}

/**
 * One client-node informer per kind. An informer that stops on an error is
 * restarted with backoff from its last resourceVersion (a 410 makes it relist,
 * and the relist reports deletions it missed), so no change is lost. A kind
 * whose CRD is not installed is a warning and is retried until it appears.
 */
export class KubeSource implements ConfigSource {
  readonly name: string;
  private readonly kc: k8s.KubeConfig;
  private readonly watched: Watched[] = [];
  private readonly listeners: ChangeListener[] = [];
  private stopped = false;
  private readonly refusalListeners: (() => void)[] = [];
  private readonly refused = new Map<string, { object: KubeObject; problems: readonly string[] }>();
  /** The informer's previous version of each object: what an update's transition rules compare with. */
  private readonly previous = new Map<string, KubeObject>();
  private readySignal?: () => void;
  private crdWatch?: CrdWatch;

  constructor(private readonly opts: KubeSourceOptions = {}) {
    this.kc = opts.config ?? new k8s.KubeConfig();
    if (!opts.config) {
      if (opts.kubeconfig) this.kc.loadFromFile(opts.kubeconfig);
      else this.kc.loadFromCluster();
    }
    this.name = `kubernetes ${this.kc.getCurrentCluster()?.server ?? '(in-cluster)'}`;
  }

  /** The client configuration, for components that write to the same cluster. */
  get kubeConfig(): k8s.KubeConfig {
    return this.kc;
  }

  /** One ConfigMap read by name (undefined when it does not exist): needs only `get`. */
  async readConfigMap(namespace: string, name: string): Promise<KubeObject | undefined> {
    const api = k8s.KubernetesObjectApi.makeApiClient(this.kc);
    try {
      return (await api.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } })) as KubeObject;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  get synced(): boolean {
    return this.watched.length > 0 && this.watched.every((w) => w.synced);
  }

  onChanges(l: ChangeListener): void {
    this.listeners.push(l);
  }

  errors(): readonly SourceError[] {
    return [
      ...this.watched
        .filter((w) => w.lastError && !w.missing)
        .map((w) => ({ source: 'kubernetes', kind: w.kind.kind, message: w.lastError ?? '' })),
      ...this.refusals().map(({ object, problems }) => ({
        source: 'kubernetes',
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        message: problems.join('; '),
      })),
    ];
  }

  /** Kinds whose API is not served (CRD not installed). */
  missingKinds(): string[] {
    return this.watched.filter((w) => w.missing).map((w) => w.kind.kind);
  }

  private emit(changes: Change[]): void {
    for (const l of this.listeners) l(changes);
  }

  /** Fails with a clear message when the API server does not answer /version in time. */
  async probe(timeoutMs = 10_000): Promise<string> {
    const api = this.kc.makeApiClient(k8s.VersionApi);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from ${this.name} within ${timeoutMs / 1000}s`)), timeoutMs);
    });
    try {
      const v = await Promise.race([api.getCode(), deadline]);
      return v.gitVersion;
    } catch (e) {
      throw new Error(`cannot reach ${this.name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Resolves once every kind has delivered its initial list (or is known to be absent). */
  async start(): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.readySignal = resolve));
    // Schemas first, so the initial objects are checked against them.
    if (this.opts.crdSchemas !== false) {
      this.crdWatch = new CrdWatch(this.kc, this.opts.log, (kinds) => this.recheck(kinds));
      await this.crdWatch.start();
    }
    for (const kind of this.opts.kinds ?? KINDS) {
      const w = {
        kind,
        version: 0,
        synced: false,
        missing: false,
        backoffMs: this.opts.minBackoffMs ?? 500,
      } as Watched;
      w.informer = this.informerFor(w);
      this.watched.push(w);
      this.launch(w);
    }
    await ready;
  }

  /**
   * Objects that got past admission (no webhook, or older than it) are checked
   * as the webhook would: an invalid one is refused and the last good version
   * stays, unless its kind serves a fail-closed form of it (AuthorizationPolicy).
   */
  private admit(kind: KindInfo, object: KubeObject, old?: KubeObject): KubeObject | undefined {
    const key = keyOf(object);
    // Transition rules compare with the version this one replaced, as the API server did on the update.
    const problems = problemsOf(kind, object, old);
    if (problems.length === 0) {
      this.refused.delete(key);
      return object;
    }
    this.refused.set(key, { object, problems });
    this.opts.log?.warn({ object: key, problems }, 'invalid object; not applied as written');
    const served = kind.failClosed?.(object, problems);
    // Nothing else changes in the World, so the status is pushed from here.
    if (!served) setImmediate(() => this.refusalListeners.forEach((l) => l()));
    return served;
  }

  /** A CRD's schema changed: the objects of its kind are checked again, as at load. */
  private recheck(kinds: ReadonlySet<string>): void {
    for (const w of this.watched) {
      if (!kinds.has(w.kind.kind)) continue;
      const apiVersion = apiVersionOf(w.kind, w.kind.versions[w.version]);
      const changes: Change[] = [];
      for (const o of w.informer.list()) {
        const object = this.admit(w.kind, shaped(w.kind, o, apiVersion));
        if (object) changes.push({ op: 'upsert', object });
      }
      if (changes.length > 0) this.emit(changes);
    }
  }

  /** Called after an object was refused and nothing was applied in its place. */
  onRefusal(l: () => void): void {
    this.refusalListeners.push(l);
  }

  /** Objects refused (or served fail-closed) at load, with their problems. */
  refusals(): { object: KubeObject; problems: readonly string[] }[] {
    return [...this.refused.values()];
  }

  /**
   * An informer for the version `w` is at. A cluster may serve a kind at only
   * some of the versions we accept (TLSRoute: v1 from Gateway API 1.5, v1alpha2
   * before), so a 404 moves on to the next version (see failed).
   */
  private informerFor(w: Watched): Watched['informer'] {
    const { kind } = w;
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.kc);
    const apiVersion = apiVersionOf(kind, kind.versions[w.version]);
    // The informer emits the list's items right after this promise settles;
    // a macrotask scheduled here runs after them, so "synced" is true only
    // once every initial object has been delivered.
    const list = () =>
      objects
        .list(
          apiVersion,
          kind.kind,
          kind.watchScope?.namespace,
          undefined,
          undefined,
          undefined,
          kind.watchScope?.fieldSelector,
        )
        .then((l) => {
          setImmediate(() => this.markSynced(w));
          // The informer caches what the list returns: keep only what we read.
          if (kind.trim) l.items = l.items.map((o) => shaped(kind, o, apiVersion) as k8s.KubernetesObject);
          return l;
        });
    // Any healthy watch ends the backoff, not only a relist: after an outage
    // the informer resumes its watch without listing, and the next failure
    // must not wait as long as the outage's last retry did.
    const watch = new HealthWatch(this.kc, () => this.healthy(w));
    const informer = new k8s.ListWatch(
      path(kind, w.version),
      watch,
      list,
      false,
      undefined,
      kind.watchScope?.fieldSelector,
    );
    const upsert = (o: k8s.KubernetesObject) => {
      if (kind.relevant && !kind.relevant(o as KubeObject)) {
        // One that stopped being ours (a Secret whose credential keys were removed) goes, not stays stale.
        this.emit([{ op: 'delete', kind: kind.kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' }]);
        return;
      }
      const now = shaped(kind, o, apiVersion);
      const key = keyOf(now);
      const object = this.admit(kind, now, this.previous.get(key));
      this.previous.set(key, now);
      if (object) this.emit([{ op: 'upsert', object }]);
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (o) => {
      const key = objectKey(kind.kind, o.metadata?.namespace, o.metadata?.name ?? '');
      this.previous.delete(key);
      this.refused.delete(key);
      this.emit([{ op: 'delete', kind: kind.kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' }]);
    });
    informer.on('error', (err: unknown) => {
      if (w.informer === informer) this.failed(w, err);
    });
    return informer;
  }

  private launch(w: Watched): void {
    if (this.stopped) return;
    const informer = w.informer;
    informer.start().catch((err: unknown) => {
      if (w.informer === informer) this.failed(w, err);
    });
  }

  /** A watch of `w` is running: the API server serves it again. */
  private healthy(w: Watched): void {
    w.backoffMs = this.opts.minBackoffMs ?? 500;
    w.lastError = undefined;
  }

  private markSynced(w: Watched): void {
    w.backoffMs = this.opts.minBackoffMs ?? 500;
    if (w.missing) this.opts.log?.info({ kind: w.kind.kind }, 'kind is now served; watching it');
    w.missing = false;
    w.lastError = undefined;
    if (!w.synced) {
      w.synced = true;
      if (this.synced) this.readySignal?.();
    }
  }

  private failed(w: Watched, err: unknown): void {
    if (this.stopped) return;
    const absent = notServed(err);
    const text = err instanceof Error ? err.message : String(err);
    if (absent && w.version + 1 < w.kind.versions.length) {
      // Not served at this version: try the next one now.
      void w.informer.stop();
      w.version += 1;
      w.informer = this.informerFor(w);
      this.launch(w);
      return;
    }
    if (absent) {
      if (w.version > 0) {
        void w.informer.stop();
        w.version = 0;
        w.informer = this.informerFor(w);
      }
      if (!w.missing)
        this.opts.log?.warn(
          { kind: w.kind.kind, group: w.kind.group, versions: w.kind.versions },
          'kind not served at any version we read (CRD not installed?); will pick it up when it appears',
        );
      w.missing = true;
      // An absent kind has nothing to list: it does not hold up readiness.
      if (!w.synced) {
        w.synced = true;
        if (this.synced) this.readySignal?.();
      }
    } else {
      this.opts.log?.warn({ kind: w.kind.kind, error: text, retryInMs: w.backoffMs }, 'informer failed; restarting');
      w.lastError = text;
    }
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = undefined;
      this.launch(w);
    }, w.backoffMs);
    w.timer.unref();
    w.backoffMs = Math.min(w.backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.crdWatch?.stop();
    for (const w of this.watched) {
      if (w.timer) clearTimeout(w.timer);
      await w.informer.stop();
    }
  }
}
