import { buildAmbientIndex, updateAmbientIndex, type AmbientIndex, type Waypoint } from '../ambient';
import { derive } from './derived';
import type { KubeObject, World } from '../model';
import { DEFAULT_OPTIONS, type TranslateOptions } from './context';
import type { WaypointIR } from './ir';
import { readKeysOfAll, Reads } from './reads';
import type { Encoded } from './reuse';
import { buildResourcesFrom, type ResourceSet } from './waypoint/resources';
import type { ObjectStatus } from './status/status';
import { StatusTracker } from './status/status-tracker';
import { computeStatuses } from './status/statuses';
import { buildWaypointIRReusing } from './waypoint/waypoint-ir';
import { ServiceReuse, type ServiceMemo } from './waypoint/service-reuse';
import { parsePlaceKey, placeKey } from './place-key';

export { DEFAULT_OPTIONS, type TranslateOptions } from './context';
export type { ObjectStatus } from './status/status';
export type { ResourceSet } from './waypoint/resources';

export interface WaypointOutput {
  /** The waypoint's key, or a place key (place-key.ts) for a translation made for one locality. */
  key: string;
  namespace: string;
  name: string;
  resources: ResourceSet;
  /** What each resource was built from, so the next translation can reuse unchanged encodings. */
  encoded: Encoded;
  /** World keys (and `Kind/ns/*` queries) this translation read. */
  reads: ReadonlySet<string>;
  ir: WaypointIR;
  /** Each served Service's part of `ir` with what it read, for the next translation to reuse. */
  memo: ServiceMemo;
}

/**
 * One waypoint: World + index → its Envoy resources. Pure: same inputs, same
 * bytes. `prev`, this waypoint's last translation, only saves work: resources
 * whose IR input is unchanged keep their encoding. With `hits`, the read keys
 * a change reached since `prev` (reads.ts: readKeysOfAll), `prev` served the
 * same Services and workloads, and each Service whose part of the IR read
 * none of them keeps that part.
 */
export function translateWaypoint(
  world: World,
  index: AmbientIndex,
  waypoint: Waypoint,
  opts: TranslateOptions = DEFAULT_OPTIONS,
  prev?: WaypointOutput,
  locality?: string,
  hits?: readonly string[],
): WaypointOutput {
  const reads = new Reads(true);
  const reuse = prev && hits ? new ServiceReuse(prev.memo, hits) : undefined;
  const { ir, memo } = buildWaypointIRReusing(
    { world, index, waypoint, opts, reads, ...(locality !== undefined ? { locality } : {}) },
    reuse,
  );
  const { resources, encoded } = buildResourcesFrom(ir, prev?.encoded);
  return {
    key: locality !== undefined ? placeKey(waypoint.key, locality) : waypoint.key,
    namespace: waypoint.namespace,
    name: waypoint.name,
    resources,
    encoded,
    reads: reads.keys,
    ir,
    memo,
  };
}

export function statusesOf(
  world: World,
  index: AmbientIndex,
  opts: TranslateOptions = DEFAULT_OPTIONS,
): ObjectStatus[] {
  return computeStatuses({ world, index, opts });
}

export interface TranslateResult {
  index: AmbientIndex;
  waypoints: Map<string, WaypointOutput>;
  statuses: ObjectStatus[];
}

/** Everything at once (the `translate` command and golden tests). */
export function translateAll(world: World, opts: TranslateOptions & { assumeReady: boolean }): TranslateResult {
  const index = buildAmbientIndex(world, opts);
  const waypoints = new Map<string, WaypointOutput>();
  for (const wp of index.waypoints.values()) waypoints.set(wp.key, translateWaypoint(world, index, wp, opts));
  return { index, waypoints, statuses: statusesOf(world, index, opts) };
}

/** What an incremental step recomputed. */
export interface Step {
  index: AmbientIndex;
  /** Waypoints translated again (new or affected). */
  translated: string[];
  removed: string[];
  /**
   * Shared with later steps while nothing changes them: read, do not modify.
   * Computed when first read, for the translator's latest World.
   */
  readonly statuses: readonly ObjectStatus[];
}

// Served lists are shared between index versions until a member changes, so
// their key strings are computed once per list, not once per update.
const listKeys = derive((objects: readonly KubeObject[]): string =>
  objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).join(','),
);

function servedSignature(index: AmbientIndex, wp: Waypoint): string {
  const services = listKeys(index.servicesOf(wp.key));
  const workloads = listKeys(index.workloadsOf(wp.key));
  return `${wp.ready}|${wp.trafficType}|${services}${services && workloads ? ',' : ''}${workloads}`;
}

/** Which waypoints an IncrementalTranslator keeps translated. */
export interface TranslatorMode {
  /**
   * Only waypoints named to demand(): as istiod builds a proxy's
   * configuration when it connects and pushes only to connected proxies
   * (pilot/pkg/xds/ads.go: initConnection, pushConnection). Without it,
   * every waypoint (translate, diff, the benchmarks' full steps).
   */
  onDemand?: boolean;
}

/**
 * Keeps the last translation of every (demanded) waypoint and, on each World
 * change, translates again only the waypoints whose reads the change touches
 * or whose set of served services and workloads moved.
 */
export class IncrementalTranslator {
  readonly outputs = new Map<string, WaypointOutput>();
  private readonly signatures = new Map<string, string>();
  private readonly statuses: StatusTracker;
  /** The World of the last update: what a change is compared with. */
  private world?: World;
  index?: AmbientIndex;
  /**
   * Keys some proxy or reader asked for. Never shrinks: a key stays
   * demanded after its proxies leave, which keeps the rule simple (no
   * reference counting against reconnects) and is bounded by the waypoints
   * that ever had a proxy connected.
   */
  private readonly demanded = new Set<string>();
  /**
   * Place keys some proxy was given (place-key.ts), in either mode: each is
   * translated, like its waypoint, for as long as the waypoint exists.
   */
  private readonly placeKeys = new Set<string>();
  readonly onDemand: boolean;

  constructor(
    private readonly opts: TranslateOptions & { assumeReady: boolean },
    mode: TranslatorMode = {},
  ) {
    this.statuses = new StatusTracker(opts);
    this.onDemand = mode.onDemand ?? false;
  }

  /** Marks `key` demanded; true when it was not before. */
  demand(key: string): boolean {
    const place = parsePlaceKey(key);
    if (place) {
      if (this.placeKeys.has(key)) return false;
      this.placeKeys.add(key);
      return true;
    }
    if (this.demanded.has(key)) return false;
    this.demanded.add(key);
    return true;
  }

  isDemanded(key: string): boolean {
    return !this.onDemand || this.demanded.has(key);
  }

  get demandedCount(): number {
    return this.demanded.size;
  }

  /**
   * Translates a demanded waypoint the last update skipped, against the
   * World and index of that update; undefined when it does not exist (yet)
   * or is translated already.
   */
  translateNow(key: string): WaypointOutput | undefined {
    const { index, world } = this;
    const place = parsePlaceKey(key);
    const wp = index?.waypoints.get(place?.waypoint ?? key);
    if (!index || !world || !wp || this.outputs.has(key)) return undefined;
    const out = translateWaypoint(world, index, wp, this.opts, undefined, place?.locality);
    this.outputs.set(key, out);
    this.signatures.set(key, servedSignature(index, wp));
    return out;
  }

  update(world: World, changed: ReadonlySet<string> | 'all'): Step {
    this.settlePrevious?.();
    const index =
      this.index && changed !== 'all'
        ? updateAmbientIndex(this.index, world, changed)
        : buildAmbientIndex(world, this.opts);
    this.index = index;
    // Worked out once per change, not once per waypoint, and only when a
    // translated waypoint is there to compare (a first load has none).
    const before = this.world;
    let hits: string[] | undefined;
    const hitsOf = () => (hits ??= changed === 'all' ? [] : readKeysOfAll(changed, world, before));
    this.world = world;
    const translated: string[] = [];
    const refresh = (key: string, wp: Waypoint, locality?: string) => {
      const sig = servedSignature(index, wp);
      const prev = this.outputs.get(key);
      const served = changed !== 'all' && prev !== undefined && this.signatures.get(key) === sig;
      if (served && !hitsOf().some((k) => prev.reads.has(k))) return;
      // The same served set: each service whose reads the change missed keeps its part.
      const hits = served ? hitsOf() : undefined;
      this.outputs.set(key, translateWaypoint(world, index, wp, this.opts, prev, locality, hits));
      this.signatures.set(key, sig);
      translated.push(key);
    };
    for (const wp of index.waypoints.values()) {
      if (this.onDemand && !this.demanded.has(wp.key)) continue;
      refresh(wp.key, wp);
    }
    for (const key of this.placeKeys) {
      const place = parsePlaceKey(key);
      const wp = place && index.waypoints.get(place.waypoint);
      if (place && wp) refresh(key, wp, place.locality);
    }
    const removed: string[] = [];
    for (const key of [...this.outputs.keys()]) {
      if (index.waypoints.has(key)) continue;
      const place = parsePlaceKey(key);
      if (place && index.waypoints.has(place.waypoint)) continue;
      this.outputs.delete(key);
      this.signatures.delete(key);
      removed.push(key);
    }
    this.notePending(changed);
    this.statusInput = { world, index };
    // Computed when first read: `serve` needs none to become ready or to
    // serve a proxy, and at 10,000 services the first computation is a
    // quarter second. Before the next update the tracker is brought up to
    // date either way (so what it has to catch up on stays one step's
    // changes); a step read only after that gets its own World's statuses
    // computed afresh, which no reader of `serve` does.
    let statuses: readonly ObjectStatus[] | undefined;
    let settled = false;
    const read = () => (statuses ??= settled ? statusesOf(world, index, this.opts) : this.currentStatuses());
    this.settlePrevious = () => {
      if (statuses === undefined) this.applyPending();
      settled = true;
    };
    return {
      index,
      translated,
      removed,
      get statuses() {
        return read();
      },
    };
  }

  /** Brings the statuses up to the last step before the World moves on. */
  private settlePrevious?: () => void;

  private pending: Set<string> | 'all' = 'all';
  private statusInput?: { world: World; index: AmbientIndex };

  private notePending(changed: ReadonlySet<string> | 'all'): void {
    if (changed === 'all') this.pending = 'all';
    else if (this.pending !== 'all') for (const k of changed) this.pending.add(k);
  }

  /**
   * The statuses of the last World. Changes not yet reflected are applied at
   * once, as their union: a status depends on the World it is computed
   * from, not on the steps that led there.
   */
  private currentStatuses(): readonly ObjectStatus[] {
    this.applyPending();
    return this.statuses.current();
  }

  /** Applies the changes not yet reflected to the tracker, without handing its list out. */
  private applyPending(): void {
    const input = this.statusInput;
    if (!input || (this.pending !== 'all' && this.pending.size === 0)) return;
    this.statuses.apply(input.world, input.index, this.pending);
    this.pending = new Set();
  }
}
