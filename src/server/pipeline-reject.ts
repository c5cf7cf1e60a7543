import type { Logger } from 'pino';
import { shortType, type Json, type PreparedResource } from '../envoy';
import { blocking, ResourceValidator } from '../validate';
import type { ObjectStatus, ResourceSet } from '../translate';
import type { WaypointOutput } from '../translate';
import { GRPC_DEPRECATED_FIELDS } from '../translate/proxyless/proxyless-tls';
import { findRejections, type Rejection } from '../translate/status/rejections';
import { describeRejection, withRejections } from '../translate/status/status-rejections';

export interface RejectGateOptions {
  /** A rejection that persists is logged again at most this often. */
  logEveryMs: number;
  now: () => number;
}

const DEFAULTS: RejectGateOptions = { logEveryMs: 5 * 60_000, now: Date.now };

/**
 * Keeps what Envoy would refuse out of the cache. A waypoint's resource that
 * fails validation is replaced by the version the cache already serves under
 * the same name (or left out when there is none), so that proxy keeps what it
 * last accepted and every other resource and waypoint moves on. Rejections
 * are logged, rate-limited per resource, and become status conditions on the
 * objects that produced them.
 */
export class RejectGate {
  private readonly byKey = new Map<string, Rejection[]>();
  private readonly validator = new ResourceValidator();
  private readonly grpcValidator = new ResourceValidator({ allowDeprecated: GRPC_DEPRECATED_FIELDS });
  // ztunnel reads Istio's workload API, whose protos carry no validate.rules;
  // its deprecated fields are still what older ztunnels read.
  private readonly ztunnelValidator = new ResourceValidator({ deprecated: false });
  /** Resource id → when it was last logged, and at which version. */
  private readonly logged = new Map<string, { at: number; version: string }>();
  private all: Rejection[] = [];
  /** Each waypoint's resources as last checked (its translation's output, before admission). */
  private readonly checked = new Map<string, ResourceSet>();
  private readonly opts: RejectGateOptions;

  constructor(
    private readonly log?: Logger,
    opts: Partial<RejectGateOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** `out`'s resources as they may be served, given what `served` holds now. */
  admit(out: WaypointOutput, served: (typeUrl: string, name: string) => PreparedResource | undefined): ResourceSet {
    const found = findRejections(out, this.validator, this.knownClean(out.key));
    this.record(out.key, found);
    this.checked.set(out.key, out.resources);
    const refused = new Set(found.filter((r) => r.blocking).map((r) => `${r.typeUrl}\u0000${r.name}`));
    if (refused.size === 0) return out.resources;
    const admitted: ResourceSet = new Map();
    for (const [typeUrl, resources] of out.resources) {
      const kept: PreparedResource[] = [];
      for (const r of resources) {
        if (!refused.has(`${typeUrl}\u0000${r.name}`)) kept.push(r);
        else {
          const last = served(typeUrl, r.name);
          if (last) kept.push(last);
        }
      }
      admitted.set(typeUrl, kept);
    }
    return admitted;
  }

  /**
   * `upserts` for a view shared by clients other than waypoints (proxyless
   * gRPC, the workload API), without those that fail: what the cache holds
   * under their names stays.
   */
  admitPatch(
    key: string,
    typeUrl: string,
    upserts: readonly PreparedResource[],
    removes: readonly string[],
    client: 'grpc' | 'ztunnel',
  ): readonly PreparedResource[] {
    const validator = client === 'grpc' ? this.grpcValidator : this.ztunnelValidator;
    const ok: PreparedResource[] = [];
    const bad: Rejection[] = [];
    for (const r of upserts) {
      const violations = validator.violations(r);
      if (!blocking(violations)) ok.push(r);
      else
        bad.push({
          waypoint: key,
          typeUrl: r.typeUrl,
          name: r.name,
          version: r.version,
          violations,
          blocking: true,
          sources: [],
          exact: false,
        });
    }
    // Patches carry only what changed.
    if (bad.length > 0 || this.byKey.has(key)) {
      // A name upserted again or removed is settled; the rest stand.
      const names = new Set(upserts.map((r) => `${typeUrl}\u0000${r.name}`));
      for (const name of removes) names.add(`${typeUrl}\u0000${name}`);
      const kept = (this.byKey.get(key) ?? []).filter((r) => !names.has(`${r.typeUrl}\u0000${r.name}`));
      this.record(key, [...kept, ...bad]);
    }
    return bad.length === 0 ? upserts : ok;
  }

  /** A waypoint (or view) that went away has nothing rejected any more. */
  forget(key: string): void {
    this.record(key, []);
    this.checked.delete(key);
  }

  /**
   * Whether a resource of `key`'s output is the very object found clean at
   * the same place last time: a translation reuses every resource its
   * change did not reach, so an edit looks up only what it rebuilt, not all
   * of a waypoint's hundreds of clusters and endpoints again.
   */
  private knownClean(key: string): ((typeUrl: string, r: PreparedResource, i: number) => boolean) | undefined {
    const last = this.checked.get(key);
    if (!last) return undefined;
    const flagged = new Set((this.byKey.get(key) ?? []).map((r) => `${r.typeUrl}\u0000${r.name}`));
    return (typeUrl, r, i) =>
      last.get(typeUrl)?.[i] === r && (flagged.size === 0 || !flagged.has(`${typeUrl}\u0000${r.name}`));
  }

  rejections(): readonly Rejection[] {
    return this.all;
  }

  /** `statuses` with the conditions the current rejections add. */
  statuses(statuses: readonly ObjectStatus[]): readonly ObjectStatus[] {
    return withRejections(statuses, this.all);
  }

  private record(key: string, found: Rejection[]): void {
    const before = this.byKey.get(key) ?? [];
    if (found.length === 0 && before.length === 0) return;
    const now = this.opts.now();
    const ids = new Set<string>();
    for (const r of found) {
      const id = `${key}\u0000${r.typeUrl}\u0000${r.name}`;
      ids.add(id);
      const last = this.logged.get(id);
      if (last && last.version === r.version && now - last.at < this.opts.logEveryMs) continue;
      this.logged.set(id, { at: now, version: r.version });
      this.log?.warn(
        {
          waypoint: r.waypoint,
          typeUrl: r.typeUrl,
          resource: r.name,
          violations: r.violations,
          sources: r.sources.map((s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`),
        },
        describeRejection(r),
      );
    }
    for (const r of before) {
      const id = `${key}\u0000${r.typeUrl}\u0000${r.name}`;
      if (ids.has(id)) continue;
      this.logged.delete(id);
      this.log?.info({ waypoint: r.waypoint, typeUrl: r.typeUrl, resource: r.name }, 'resource no longer rejected');
    }
    if (found.length > 0) this.byKey.set(key, found);
    else this.byKey.delete(key);
    this.all = [...this.byKey.values()].flat();
  }
}

/** /debug/rejectz: each rejection with its problems and the objects it came from. */
export function rejectzJson(rejections: readonly Rejection[]): Json {
  return rejections.map((r) => ({
    waypoint: r.waypoint,
    type: shortType(r.typeUrl),
    name: r.name,
    version: r.version,
    served: r.blocking ? 'held back: the proxy keeps the last version it accepted' : 'served, with problems',
    violations: r.violations.map((v) => ({
      path: v.path,
      message: v.message,
      ...(v.severity ? { severity: v.severity } : {}),
    })),
    sources: r.sources.map((s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`),
    exact: r.exact,
  }));
}
