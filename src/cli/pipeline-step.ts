import { TypeUrl } from '../envoy';
import { parseKey, type World } from '../model';
import type { IncrementalTranslator, Step } from '../translate';
import type { TranslateOptions } from '../translate';
import { ProxylessBuilder } from '../translate/proxyless-builder';
import { WorkloadApiView } from '../translate/workload-api-view';
import type { SnapshotCache } from '../xds';
import { RejectGate } from './pipeline-reject';
import { PROXYLESS_KEY, ZTUNNEL_KEY } from './proxy-key';
import type { SecretStep } from './pipeline-secrets';

/** Milliseconds each stage of one step took. */
export interface StepTimes {
  waypoints: number;
  workloadApi: number;
  proxyless: number;
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/**
 * Applied changes, as `serve` runs them: translate the affected waypoints,
 * then bring the views every ztunnel, waypoint and proxyless client shares
 * up to date, and put what changed in the cache. The shared views rebuild
 * only the namespaces a change reaches. Nothing Envoy would refuse reaches
 * the cache (see RejectGate). Shared with the benchmarks so they measure
 * what the server does.
 */
export class ServeStep {
  private waypoints?: Step['index']['waypoints'];
  private readonly api: WorkloadApiView;
  private readonly proxyless: ProxylessBuilder;
  /** Serves the credentials waypoints' clusters fetch over SDS, when set. */
  secrets?: SecretStep;

  constructor(
    private readonly translator: IncrementalTranslator,
    private readonly cache: SnapshotCache,
    opts: TranslateOptions,
    readonly gate: RejectGate = new RejectGate(),
  ) {
    this.api = new WorkloadApiView(opts);
    this.proxyless = new ProxylessBuilder(opts);
  }

  run(world: World, changed: ReadonlySet<string> | 'all'): { step: Step; times: StepTimes } {
    const { translator, cache } = this;
    let t = process.hrtime.bigint();
    const step = translator.update(world, changed);
    for (const key of step.translated) {
      const out = translator.outputs.get(key);
      if (out)
        cache.set(
          key,
          this.gate.admit(out, (typeUrl, name) => cache.get(key, typeUrl).get(name)),
        );
    }
    for (const key of step.removed) {
      cache.delete(key);
      this.gate.forget(key);
    }
    this.secrets?.run(world, translator.outputs, step.translated, step.removed, changed);
    const waypoints = since(t);
    // The workload API is one view for every ztunnel; waypoints also get the
    // Workload entries of their peers (for telemetry). Only what changed is
    // put in the cache, so a pod change pushes just that entry.
    t = process.hrtime.bigint();
    const api = this.api.update(world, step.index, this.touchedNamespaces(step, changed));
    this.waypoints = step.index.waypoints;
    for (const typeUrl of [TypeUrl.Address, TypeUrl.Authorization]) {
      const p = api.get(typeUrl);
      if (p)
        cache.patch(
          ZTUNNEL_KEY,
          typeUrl,
          this.gate.admitPatch(ZTUNNEL_KEY, typeUrl, p.upserts, p.removes, 'ztunnel'),
          p.removes,
        );
    }
    // Every waypoint shares one Workload map: the cache patches it once, not once per waypoint.
    const w = api.get(TypeUrl.Workload) ?? { upserts: [], removes: [] };
    cache.patchShared(
      step.index.waypoints.keys(),
      TypeUrl.Workload,
      this.gate.admitPatch('workloads', TypeUrl.Workload, w.upserts, w.removes, 'ztunnel'),
      w.removes,
    );
    const workloadApi = since(t);
    t = process.hrtime.bigint();
    for (const [typeUrl, p] of this.proxyless.build(world, step.index, changed))
      cache.patch(
        PROXYLESS_KEY,
        typeUrl,
        this.gate.admitPatch(PROXYLESS_KEY, typeUrl, p.upserts, p.removes, 'grpc'),
        p.removes,
      );
    return { step, times: { waypoints, workloadApi, proxyless: since(t) } };
  }

  /**
   * The namespaces `changed` reaches: every one when the waypoints changed
   * or a cluster-scoped object other than a Namespace did.
   */
  private touchedNamespaces(step: Step, changed: ReadonlySet<string> | 'all'): Set<string> | 'all' {
    if (changed === 'all' || step.index.waypoints !== this.waypoints) return 'all';
    const touched = new Set<string>();
    for (const key of changed) {
      const k = parseKey(key);
      if (k.kind === 'Namespace') touched.add(k.name);
      else if (k.namespace !== undefined) touched.add(k.namespace);
      else return 'all';
    }
    return touched;
  }
}
