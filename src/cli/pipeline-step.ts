import { TypeUrl } from '../envoy';
import { parseKey, type World } from '../model';
import type { IncrementalTranslator, Step } from '../translate';
import type { TranslateOptions } from '../translate';
import { ProxylessBuilder } from '../translate/proxyless';
import { Reuse, type Encoded } from '../translate/reuse';
import { buildWorkloadApi } from '../translate/workload-api';
import type { SnapshotCache } from '../xds';
import { PROXYLESS_KEY, ZTUNNEL_KEY } from './proxy-key';

/** Milliseconds each stage of one step took. */
export interface StepTimes {
  waypoints: number;
  workloadApi: number;
  proxyless: number;
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/**
 * Applied changes, as `serve` runs them: translate the affected waypoints,
 * then the views every ztunnel, waypoint and proxyless client shares, and put
 * all of it in the cache. The shared views are rebuilt on every change but
 * re-encode only what changed (the last build's encodings are kept). Shared
 * with the benchmarks so they measure what the server does.
 */
export class ServeStep {
  private workloadApi?: Encoded;
  private waypoints?: Step['index']['waypoints'];
  /** Identifies the last workload-API build (see Continuation). */
  private stamp?: object;
  private readonly proxyless: ProxylessBuilder;

  constructor(
    private readonly translator: IncrementalTranslator,
    private readonly cache: SnapshotCache,
    private readonly opts: TranslateOptions,
  ) {
    this.proxyless = new ProxylessBuilder(opts);
  }

  run(world: World, changed: ReadonlySet<string> | 'all'): { step: Step; times: StepTimes } {
    const { translator, cache, opts } = this;
    let t = process.hrtime.bigint();
    const step = translator.update(world, changed);
    for (const key of step.translated) {
      const out = translator.outputs.get(key);
      if (out) cache.set(key, out.resources);
    }
    for (const key of step.removed) cache.delete(key);
    const waypoints = since(t);
    // The workload API is one view for every ztunnel; waypoints also get the
    // Workload entries of their peers (for telemetry). Unchanged entries keep
    // their versions, so a pod change pushes just that entry.
    t = process.hrtime.bigint();
    const apiReuse = new Reuse(this.workloadApi);
    const stamp = {};
    const unchanged = this.unchangedNamespaces(step, changed);
    const api = buildWorkloadApi(world, step.index, opts, apiReuse, {
      unchanged: unchanged ?? (() => false),
      prev: this.stamp,
      next: stamp,
    });
    this.workloadApi = apiReuse.next;
    this.waypoints = step.index.waypoints;
    this.stamp = stamp;
    cache.set(
      ZTUNNEL_KEY,
      new Map([
        [TypeUrl.Address, api.get(TypeUrl.Address) ?? []],
        [TypeUrl.Authorization, api.get(TypeUrl.Authorization) ?? []],
      ]),
    );
    // Every waypoint gets the same list: the cache diffs it once, not once per waypoint.
    cache.setShared(step.index.waypoints.keys(), TypeUrl.Workload, api.get(TypeUrl.Workload) ?? []);
    const workloadApi = since(t);
    t = process.hrtime.bigint();
    cache.set(PROXYLESS_KEY, this.proxyless.build(world, step.index, changed));
    return { step, times: { waypoints, workloadApi, proxyless: since(t) } };
  }

  /**
   * Which namespaces `changed` left alone: none when the waypoints changed or
   * a cluster-scoped object other than a Namespace did.
   */
  private unchangedNamespaces(step: Step, changed: ReadonlySet<string> | 'all'): ((ns: string) => boolean) | undefined {
    if (changed === 'all' || step.index.waypoints !== this.waypoints) return undefined;
    const touched = new Set<string>();
    for (const key of changed) {
      const k = parseKey(key);
      if (k.kind === 'Namespace') touched.add(k.name);
      else if (k.namespace !== undefined) touched.add(k.namespace);
      else return undefined;
    }
    return (ns) => !touched.has(ns);
  }
}
