import type { PreparedResource } from '../envoy/resource';
import { hasChecks, validateMessage, type ValidateOptions, type Violation } from './message';

const NONE: readonly Violation[] = Object.freeze([]);

/**
 * Validates each resource once per content: by type and content version, the
 * hash every resource carries anyway, so a resource reused across
 * translations and equal content built again (clusters are always rebuilt)
 * cost a lookup. Bounded: a type's entries are dropped whole when full. (A
 * WeakMap by resource object was tried; with 100k live entries it made
 * every GC slower than the lookups it saved.)
 */
export class ResourceValidator {
  /** By type URL; undefined for a type with nothing to check, which is neither decoded nor remembered. */
  private readonly byType = new Map<string, Map<string, readonly Violation[]> | undefined>();

  constructor(
    private readonly opts: ValidateOptions = {},
    private readonly limit = 200_000,
  ) {}

  violations(r: PreparedResource): readonly Violation[] {
    let known = this.byType.get(r.typeUrl);
    if (!this.byType.has(r.typeUrl)) {
      known = hasChecks(r.messageName, this.opts) ? new Map() : undefined;
      this.byType.set(r.typeUrl, known);
    }
    if (!known) return NONE;
    let v = known.get(r.version);
    if (!v) {
      const found = validateMessage(r.messageName, r.body, this.opts);
      v = found.length === 0 ? NONE : found;
      if (known.size >= this.limit) known.clear();
      known.set(r.version, v);
    }
    return v;
  }
}

/** Violations that make Envoy refuse the resource (not warnings). */
export function blocking(v: readonly Violation[]): boolean {
  return v.some((x) => x.severity !== 'warn');
}
