import { TypeUrl } from '../envoy';
import type { World } from '../model';
import type { IncrementalTranslator, ResourceSet, Step } from '../translate';
import type { TranslateOptions } from '../translate';
import { ProxylessBuilder } from '../translate/proxyless/proxyless-builder';
import { WorkloadApiView, workloadApiNamespaces } from '../translate/workload-api/workload-api-view';
import type { SnapshotCache } from '../xds';
import { RejectGate } from './pipeline-reject';
import { PROXYLESS_KEY, ZTUNNEL_KEY } from './proxy-key';
import type { SecretStep } from './pipeline-secrets';
import { pendingJwks } from './pipeline-jwks';
import { parsePlaceKey } from '../translate/place-key';

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
 *
 * With an on-demand translator only demanded keys are built: a waypoint
 * when one of its proxies connects or a reader asks for it, the workload
 * API view on the first ztunnel or waypoint, the proxyless view on the
 * first proxyless client (istiod: pilot/pkg/xds/ads.go initConnection
 * builds a proxy's configuration when it connects, pushConnection only for
 * connected proxies).
 */
export class ServeStep {
  private waypoints?: Step['index']['waypoints'];
  private readonly api: WorkloadApiView;
  private readonly proxyless: ProxylessBuilder;
  /** Serves the credentials waypoints' clusters fetch over SDS, when set. */
  secrets?: SecretStep;
  /**
   * Hold a waypoint out of the cache while a remote JWKS its translation
   * needs has had no first fetch settle (pipeline-jwks.ts). `serve` sets it;
   * steps over Worlds that never get fetched keys leave it off.
   */
  holdPendingJwks = false;
  /** The World of the last run: what an on-demand translation reads. */
  private world?: World;
  private apiBuilt = false;
  private apiDemanded = false;
  private proxylessBuilt = false;
  /** Waypoints whose translation is in the cache (they share the Workload map). */
  private readonly live = new Set<string>();
  /** Waypoints held back, with the key sets they wait for. */
  readonly held = new Map<string, string[]>();
  /** What each waypoint's key was last set to in the cache, so the next set compares lists, not names. */
  private readonly stored = new Map<string, ResourceSet>();

  constructor(
    private readonly translator: IncrementalTranslator,
    private readonly cache: SnapshotCache,
    private readonly opts: TranslateOptions,
    readonly gate: RejectGate = new RejectGate(),
  ) {
    this.api = new WorkloadApiView(opts);
    this.proxyless = new ProxylessBuilder(opts);
  }

  run(world: World, changed: ReadonlySet<string> | 'all'): { step: Step; times: StepTimes } {
    const { translator, cache } = this;
    this.world = world;
    let t = process.hrtime.bigint();
    const step = translator.update(world, changed);
    const admitted = step.translated.filter((key) => this.admit(key, world));
    for (const key of step.removed) {
      cache.delete(key);
      this.stored.delete(key);
      this.gate.forget(key);
      this.live.delete(key);
      this.held.delete(key);
    }
    this.secrets?.run(world, translator.outputs, admitted, step.removed, changed);
    const waypoints = since(t);
    t = process.hrtime.bigint();
    if (!translator.onDemand || this.apiDemanded) {
      const touched = this.apiBuilt ? this.touchedNamespaces(step, changed) : 'all';
      this.updateApi(world, step.index, touched);
    }
    this.waypoints = step.index.waypoints;
    const workloadApi = since(t);
    t = process.hrtime.bigint();
    if (translator.isDemanded(PROXYLESS_KEY))
      this.buildProxyless(world, step.index, this.proxylessBuilt ? changed : 'all');
    return { step, times: { waypoints, workloadApi, proxyless: since(t) } };
  }

  /**
   * Marks `key` (a waypoint, ZTUNNEL_KEY or PROXYLESS_KEY) demanded and,
   * the first time, builds what it reads into the cache now, so the proxy
   * that asked gets its complete configuration in its first response.
   * True when this call translated anything.
   */
  demand(key: string): boolean {
    const { translator } = this;
    // A place key (proxy-place.ts) is built when first asked for, whatever the mode.
    const place = parsePlaceKey(key) !== undefined;
    if ((!translator.onDemand && !place) || !translator.demand(key)) return false;
    if (key !== PROXYLESS_KEY) this.apiDemanded = true;
    const { world } = this;
    const index = translator.index;
    // Before the first run there is nothing to read: the first run builds it.
    if (!world || !index) return false;
    if (key === PROXYLESS_KEY) {
      this.buildProxyless(world, index, 'all');
      return true;
    }
    const out = key === ZTUNNEL_KEY ? undefined : translator.translateNow(key);
    const admitted = out !== undefined && this.admit(key, world);
    if (admitted) this.secrets?.recheck(world, out);
    if (!this.apiBuilt) this.updateApi(world, index, 'all');
    else if (admitted) this.cache.patchShared([key], TypeUrl.Workload, [], []);
    return true;
  }

  /** Puts a translated waypoint in the cache, unless it waits for a JWKS fetch; true when put. */
  private admit(key: string, world: World): boolean {
    const out = this.translator.outputs.get(key);
    if (!out) return false;
    const pending = this.holdPendingJwks ? pendingJwks(out, world, this.opts.rootNamespace) : [];
    if (pending.length > 0) {
      // What the cache holds (nothing, or the last translation) stays served until the fetch settles.
      this.held.set(key, pending);
      return false;
    }
    this.held.delete(key);
    const { cache } = this;
    const admitted = this.gate.admit(out, (typeUrl, name) => cache.get(key, typeUrl).get(name));
    cache.set(key, admitted, this.stored.get(key));
    this.stored.set(key, admitted);
    if (!this.live.has(key)) {
      this.live.add(key);
      if (this.apiBuilt) cache.patchShared([key], TypeUrl.Workload, [], []);
    }
    return true;
  }

  /**
   * The workload API is one view for every ztunnel; waypoints also get the
   * Workload entries of their peers (for telemetry). Only what changed is
   * put in the cache, so a pod change pushes just that entry.
   */
  private updateApi(world: World, index: Step['index'], touched: Set<string> | 'all'): void {
    const { cache } = this;
    const api = this.api.update(world, index, touched);
    this.apiBuilt = true;
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
      this.live,
      TypeUrl.Workload,
      this.gate.admitPatch('workloads', TypeUrl.Workload, w.upserts, w.removes, 'ztunnel'),
      w.removes,
    );
  }

  private buildProxyless(world: World, index: Step['index'], changed: ReadonlySet<string> | 'all'): void {
    this.proxylessBuilt = true;
    for (const [typeUrl, p] of this.proxyless.build(world, index, changed))
      this.cache.patch(
        PROXYLESS_KEY,
        typeUrl,
        this.gate.admitPatch(PROXYLESS_KEY, typeUrl, p.upserts, p.removes, 'grpc'),
        p.removes,
      );
  }

  /**
   * The namespaces `changed` reaches in the workload API: every one when the
   * waypoints changed (workloadApiNamespaces says the rest).
   */
  private touchedNamespaces(step: Step, changed: ReadonlySet<string> | 'all'): Set<string> | 'all' {
    if (changed === 'all' || step.index.waypoints !== this.waypoints) return 'all';
    return workloadApiNamespaces(changed);
  }
}
