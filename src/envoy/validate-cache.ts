import type { PreparedResource } from './resource';
import { validateMessage, type ValidateOptions, type Violation } from './validate';

const NONE: readonly Violation[] = Object.freeze([]);

/**
 * Validates each resource once per content. A resource is encoded once per
 * version and then shared by every translation that reuses it, so the
 * object itself is the first key; equal content built again (clusters are
 * always rebuilt) hits the second, by type and content version, which is
 * bounded and dropped whole when full.
 */
export class ResourceValidator {
  private readonly byObject = new WeakMap<PreparedResource, readonly Violation[]>();
  private readonly byContent = new Map<string, readonly Violation[]>();

  constructor(
    private readonly opts: ValidateOptions = {},
    private readonly limit = 200_000,
  ) {}

  violations(r: PreparedResource): readonly Violation[] {
    const known = this.byObject.get(r);
    if (known) return known;
    const key = `${r.typeUrl}\u0000${r.version}`;
    let v = this.byContent.get(key);
    if (!v) {
      const found = validateMessage(r.messageName, r.body, this.opts);
      v = found.length === 0 ? NONE : found;
      if (this.byContent.size >= this.limit) this.byContent.clear();
      this.byContent.set(key, v);
    }
    this.byObject.set(r, v);
    return v;
  }
}

/** Violations that make Envoy refuse the resource (not warnings). */
export function blocking(v: readonly Violation[]): boolean {
  return v.some((x) => x.severity !== 'warn');
}
