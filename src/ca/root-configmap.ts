import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { APPLY_PATCH, callOptions } from '../controller/kube-api';
import { list, type World } from '../model';

/** The ConfigMap every namespace gets, and its key (features.CACertConfigMapName, constants.CACertNamespaceConfigMapDataName). */
export const ROOT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CONFIGMAP_KEY = 'root-cert.pem';
const LABELS = { 'istio.io/config': 'true' };
const CA_FIELD_MANAGER = 'istiod-lite-ca';
/** istiod skips the namespaces its injector ignores, except kube-system (namespacecontroller.go: NewNamespaceController). */
const IGNORED = new Set(['kube-public', 'kube-node-lease', 'local-path-storage']);

interface ConfigMapObj {
  data?: Record<string, string>;
}

export interface RootPublisherOptions {
  roots: () => string;
  isLeader: () => boolean;
  log: Logger;
  /** How often every namespace is checked again, so a deleted or edited ConfigMap comes back (default 30 s). */
  resyncMs?: number;
}

/**
 * Keeps `istio-ca-root-cert` with the CA's current roots in every namespace,
 * from the leader only (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go:
 * reconcileCACertAndCRL, security/pkg/k8s/configutil.go: InsertDataToConfigMap):
 * read, and written only when missing or its key differs; other keys kept.
 */
export class RootConfigMapPublisher {
  private namespaces: string[] = [];
  /** Namespaces known to hold the current roots; cleared on every resync and roots change. */
  private readonly current = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private lastRoots = '';
  private leading = false;
  private leaderTimer?: NodeJS.Timeout;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly opts: RootPublisherOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.current.clear();
      this.kick();
    }, this.opts.resyncMs ?? 30_000);
    this.timer.unref();
    // A replica that becomes leader writes at once rather than at the next resync.
    this.leaderTimer = setInterval(() => {
      const now = this.opts.isLeader();
      if (now && !this.leading) {
        this.current.clear();
        this.kick();
      }
      this.leading = now;
    }, 1000);
    this.leaderTimer.unref();
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.leaderTimer) clearInterval(this.leaderTimer);
    this.timer = undefined;
  }

  update(world: World): void {
    this.namespaces = list(world, 'Namespace')
      .map((n) => n.metadata.name)
      .filter((n) => !IGNORED.has(n));
    this.kick();
  }

  /** Runs a pass now, or once more after the one in progress. */
  kick(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when no pass is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    if (!this.opts.isLeader()) return;
    const roots = this.opts.roots();
    if (roots !== this.lastRoots) {
      this.current.clear();
      this.lastRoots = roots;
    }
    for (const ns of this.namespaces) {
      if (this.current.has(ns) || !this.opts.isLeader()) continue;
      try {
        await this.reconcile(ns, roots);
        this.current.add(ns);
      } catch (e) {
        // A namespace being deleted refuses writes; the next pass tries again.
        this.opts.log.warn(
          { namespace: ns, error: e instanceof Error ? e.message : String(e) },
          `could not write ConfigMap ${ROOT_CONFIGMAP}`,
        );
      }
    }
  }

  private async reconcile(ns: string, roots: string): Promise<void> {
    const api = this.kc.makeApiClient(k8s.CoreV1Api);
    let cm: ConfigMapObj | undefined;
    try {
      cm = await api.readNamespacedConfigMap({ namespace: ns, name: ROOT_CONFIGMAP }, callOptions());
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    if (cm?.data?.[ROOT_CONFIGMAP_KEY] === roots) return;
    // A server-side apply creates the ConfigMap or sets our key, leaving any
    // other keys and labels to whoever wrote them.
    await api.patchNamespacedConfigMap(
      {
        namespace: ns,
        name: ROOT_CONFIGMAP,
        fieldManager: CA_FIELD_MANAGER,
        force: true,
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CONFIGMAP, namespace: ns, labels: LABELS },
          data: { [ROOT_CONFIGMAP_KEY]: roots },
        },
      },
      callOptions(APPLY_PATCH),
    );
    this.opts.log.info(
      { namespace: ns },
      cm ? `updated ConfigMap ${ROOT_CONFIGMAP}` : `created ConfigMap ${ROOT_CONFIGMAP}`,
    );
  }
}
