// The server side shared by the transport and churn benchmarks: the
// incremental translator feeding a snapshot cache behind a real xDS server,
// as `serve` wires them, minus the config source.
import { applyChanges, type Change, type World } from '../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../src/translate';
import { SnapshotCache, XdsServer } from '../src/xds';
import type { DebounceOptions } from '../src/xds/push-queue';

export class BenchServer {
  readonly translator = new IncrementalTranslator({ ...DEFAULT_OPTIONS, assumeReady: true });
  readonly cache = new SnapshotCache();
  readonly server: XdsServer;
  readonly waypoints: string[];

  constructor(
    public world: World,
    debounce?: Partial<DebounceOptions>,
  ) {
    this.publish(this.translator.update(world, 'all').translated);
    this.waypoints = [...this.translator.outputs.keys()];
    this.server = new XdsServer({
      cache: this.cache,
      debounce,
      proxyKey: (p) => `${p.metadata['NAMESPACE']}/${p.labels['gateway.networking.k8s.io/gateway-name']}`,
    });
  }

  listen(): Promise<number> {
    return this.server.listen('127.0.0.1:0');
  }

  /** Applies changes to the World, translates what they affect and publishes it; returns the waypoints translated. */
  apply(changes: readonly Change[]): string[] {
    const r = applyChanges(this.world, changes);
    this.world = r.world;
    const translated = this.translator.update(this.world, r.changed).translated;
    this.publish(translated);
    return translated;
  }

  private publish(keys: readonly string[]): void {
    for (const k of keys) {
      const o = this.translator.outputs.get(k);
      if (o) this.cache.set(k, o.resources);
    }
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
