import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiVersionOf, KINDS, type Change, type KindInfo, type KubeObject } from '../model';
import type { ChangeListener, ConfigSource, SourceError } from './source';

export interface KubeSourceOptions {
  kubeconfig?: string;
  /** A ready KubeConfig (tests); otherwise loaded from `kubeconfig` or the in-cluster environment. */
  config?: k8s.KubeConfig;
  log?: Logger;
  kinds?: readonly KindInfo[];
  /** Backoff bounds for restarting a failed informer. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Watched {
  kind: KindInfo;
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

function path(k: KindInfo): string {
  const v = k.versions[0] ?? 'v1';
  return k.group ? `/apis/${k.group}/${v}/${k.plural}` : `/api/${v}/${k.plural}`;
}

/** An informer's object as our input: its kind filled in, trimmed to what we read. */
function shaped(kind: KindInfo, o: k8s.KubernetesObject, apiVersion: string): KubeObject {
  const full = { ...o, apiVersion: o.apiVersion ?? apiVersion, kind: kind.kind } as KubeObject;
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
  private readySignal?: () => void;

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

  get synced(): boolean {
    return this.watched.length > 0 && this.watched.every((w) => w.synced);
  }

  onChanges(l: ChangeListener): void {
    this.listeners.push(l);
  }

  errors(): readonly SourceError[] {
    return this.watched
      .filter((w) => w.lastError && !w.missing)
      .map((w) => ({ source: 'kubernetes', kind: w.kind.kind, message: w.lastError ?? '' }));
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
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.kc);
    const ready = new Promise<void>((resolve) => (this.readySignal = resolve));
    for (const kind of this.opts.kinds ?? KINDS) {
      const apiVersion = apiVersionOf(kind);
      // The informer emits the list's items right after this promise settles;
      // a macrotask scheduled here runs after them, so "synced" is true only
      // once every initial object has been delivered.
      const holder: { w?: Watched } = {};
      const list = () =>
        objects.list(apiVersion, kind.kind).then((l) => {
          setImmediate(() => holder.w && this.markSynced(holder.w));
          // The informer caches what the list returns: keep only what we read.
          const trim = kind.trim;
          if (trim) l.items = l.items.map((o) => shaped(kind, o, apiVersion) as k8s.KubernetesObject);
          return l;
        });
      const informer = k8s.makeInformer(this.kc, path(kind), list);
      const w: Watched = { kind, informer, synced: false, missing: false, backoffMs: this.opts.minBackoffMs ?? 500 };
      holder.w = w;
      const upsert = (o: k8s.KubernetesObject) =>
        kind.relevant && !kind.relevant(o as KubeObject)
          ? undefined
          : this.emit([{ op: 'upsert', object: shaped(kind, o, apiVersion) }]);
      informer.on('add', upsert);
      informer.on('update', upsert);
      informer.on('delete', (o) =>
        this.emit([{ op: 'delete', kind: kind.kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' }]),
      );
      informer.on('error', (err: unknown) => this.failed(w, err));
      this.watched.push(w);
      this.launch(w);
    }
    await ready;
  }

  private launch(w: Watched): void {
    if (this.stopped) return;
    w.informer.start().catch((err: unknown) => this.failed(w, err));
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
    const status = statusOf(err);
    const text = err instanceof Error ? err.message : String(err);
    if (status === 404) {
      if (!w.missing)
        this.opts.log?.warn(
          { kind: w.kind.kind, group: w.kind.group },
          'kind not served (CRD not installed?); will pick it up when it appears',
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
    for (const w of this.watched) {
      if (w.timer) clearTimeout(w.timer);
      await w.informer.stop();
    }
  }
}
