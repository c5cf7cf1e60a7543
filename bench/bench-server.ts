// The server side shared by the transport and churn benchmarks: the
// incremental translator feeding a snapshot cache behind a real xDS server.
// With `serveStep`, each change also rebuilds the workload API and proxyless
// views, exactly as `serve` does (ServeStep); without, only waypoints.
import { ServeStep, type StepTimes } from '../src/server/pipeline-step';
import { applyChanges, type Change, type World } from '../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../src/translate';
import { SnapshotCache, XdsServer } from '../src/xds';
import type { DebounceOptions } from '../src/xds/push-queue';
import type { WriteBudgetOptions } from '../src/xds/write-budget';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

export interface BenchServerOptions {
  debounce?: Partial<DebounceOptions>;
  serveStep?: boolean;
  writeBudget?: Partial<WriteBudgetOptions>;
}

export class BenchServer {
  readonly translator = new IncrementalTranslator(OPTS);
  readonly cache = new SnapshotCache();
  readonly server: XdsServer;
  readonly waypoints: string[];
  /** Milliseconds spent per stage over every apply(). */
  readonly times: StepTimes = { waypoints: 0, workloadApi: 0, proxyless: 0 };
  private readonly serve = new ServeStep(this.translator, this.cache, OPTS);

  constructor(
    public world: World,
    private readonly opts: BenchServerOptions = {},
  ) {
    this.step(world, 'all');
    this.waypoints = [...this.translator.outputs.keys()];
    this.server = new XdsServer({
      cache: this.cache,
      debounce: opts.debounce,
      writeBudget: opts.writeBudget,
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
    return this.step(this.world, r.changed);
  }

  private step(world: World, changed: ReadonlySet<string> | 'all'): string[] {
    if (this.opts.serveStep) {
      const { step, times } = this.serve.run(world, changed);
      if (changed !== 'all')
        for (const k of ['waypoints', 'workloadApi', 'proxyless'] as const) this.times[k] += times[k];
      return step.translated;
    }
    const t = process.hrtime.bigint();
    const translated = this.translator.update(world, changed).translated;
    for (const k of translated) {
      const o = this.translator.outputs.get(k);
      if (o) this.cache.set(k, o.resources);
    }
    if (changed !== 'all') this.times.waypoints += Number(process.hrtime.bigint() - t) / 1e6;
    return translated;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
