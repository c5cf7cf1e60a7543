import { isCoreGroup } from '../model/refs';
import type { Logger } from 'pino';
import { list, type Change, type KubeObject, type World } from '../model';

// CA bundles that BackendTLSPolicies name (caCertificateRefs to core
// ConfigMaps, read in the policy's namespace as istiod's backend_policies.go
// does). In Kubernetes mode they are read one by one, by name, instead of
// watching every ConfigMap in the cluster: the server then needs only `get` on
// ConfigMaps, and its ConfigMap watch stays on the mesh config. They are read
// again when a BackendTLSPolicy changes and on a timer, so an edited bundle
// reaches proxies within one refresh.

/** How often the named bundles are read again. */
export const CA_BUNDLE_REFRESH_MS = 30_000;

/** Reads one ConfigMap; undefined when it does not exist. */
export type ConfigMapReader = (namespace: string, name: string) => Promise<KubeObject | undefined>;

/** `<namespace>/<name>` of every ConfigMap a BackendTLSPolicy names as its CA bundle. */
export function referencedCaBundles(world: World): Set<string> {
  const out = new Set<string>();
  for (const p of list(world, 'BackendTLSPolicy')) {
    const ns = p.metadata.namespace ?? 'default';
    for (const r of p.spec?.validation?.caCertificateRefs ?? []) {
      if (isCoreGroup(r.group) && r.kind === 'ConfigMap') out.add(`${ns}/${r.name}`);
    }
  }
  return out;
}

/** The part of a ConfigMap the translator reads. */
function trimmed(o: KubeObject, namespace: string, name: string): KubeObject {
  const data = (o as KubeObject & { data?: Record<string, string> }).data;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    ...(data ? { data } : {}),
  } as KubeObject;
}

export class CaBundleReader {
  /** What was last handed on, by `<namespace>/<name>`, as JSON (to send only changes). */
  private readonly held = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private running: Promise<Change[]> | undefined;

  constructor(
    private readonly read: ConfigMapReader,
    private readonly log: Logger,
  ) {}

  /** Reads every bundle `world` names; returns the upserts and deletions that bring the World in line. */
  sync(world: World): Promise<Change[]> {
    // One read at a time; a sync asked for meanwhile waits for it and runs after.
    const run = (this.running ?? Promise.resolve([])).then(() => this.once(world));
    this.running = run.catch(() => []);
    return run;
  }

  private async once(world: World): Promise<Change[]> {
    const wanted = referencedCaBundles(world);
    const changes: Change[] = [];
    for (const key of wanted) {
      const [namespace = '', name = ''] = key.split('/');
      let obj: KubeObject | undefined;
      try {
        obj = await this.read(namespace, name);
      } catch (e) {
        // Kept as last read: a failed read is not a deletion.
        this.log.warn(
          { configMap: key, error: e instanceof Error ? e.message : String(e) },
          'reading CA bundle failed',
        );
        continue;
      }
      if (!obj) {
        if (this.held.delete(key)) changes.push({ op: 'delete', kind: 'ConfigMap', namespace, name });
        continue;
      }
      const t = trimmed(obj, namespace, name);
      const body = JSON.stringify(t);
      if (this.held.get(key) === body) continue;
      this.held.set(key, body);
      changes.push({ op: 'upsert', object: t });
    }
    for (const key of [...this.held.keys()]) {
      if (wanted.has(key)) continue;
      this.held.delete(key);
      const [namespace = '', name = ''] = key.split('/');
      changes.push({ op: 'delete', kind: 'ConfigMap', namespace, name });
    }
    return changes;
  }

  /** Reads the bundles again every `everyMs`, handing changes to `apply`. */
  start(world: () => World, apply: (c: Change[]) => void, everyMs = CA_BUNDLE_REFRESH_MS): void {
    this.timer = setInterval(() => {
      void this.sync(world()).then((c) => c.length > 0 && apply(c));
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
