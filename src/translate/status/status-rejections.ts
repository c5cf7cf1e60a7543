import type { Condition } from '../../model';
import { messageName } from '../../envoy';
import type { Rejection, SourceRef } from './rejections';
import type { ObjectStatus } from './status';

/**
 * The condition an object gets when a resource built from it has problems
 * Envoy would act on. istiod has no equivalent: it pushes what it builds and
 * leaves the NACK to the proxy's logs; here the object that caused it says so.
 */
export const ENVOY_ACCEPTED = 'istio.io/EnvoyAccepted';

const refKey = (s: { kind: string; namespace?: string; name: string }) => `${s.kind}/${s.namespace ?? ''}/${s.name}`;

/** One line per rejection: what Envoy would do, to which resource, and why. */
export function describeRejection(r: Rejection): string {
  const kind = messageName(r.typeUrl).split('.').pop() ?? r.typeUrl;
  const why = r.violations.map((v) => `${v.path}: ${v.message}`).join('; ');
  const what = r.blocking
    ? `Envoy would reject ${kind} ${r.name} (${why}); it is not pushed and the waypoint keeps the last version it accepted`
    : `Envoy would load ${kind} ${r.name} with problems (${why})`;
  const who = r.exact ? '' : ' (the objects that produced it are not tracked; reported on the waypoint)';
  return `waypoint ${r.waypoint}: ${what}${who}`;
}

/**
 * `statuses` with a False ENVOY_ACCEPTED condition on every object a
 * rejection came from: on each parent of a route, on the object otherwise
 * (a Gateway's parents are its listeners, so it gets it on itself).
 * Without rejections, `statuses` itself.
 */
export function withRejections(
  statuses: readonly ObjectStatus[],
  rejections: readonly Rejection[],
): readonly ObjectStatus[] {
  if (rejections.length === 0) return statuses;
  const bySource = new Map<string, { ref: SourceRef; blocking: boolean; lines: string[] }>();
  for (const r of rejections)
    for (const ref of r.sources) {
      const key = refKey(ref);
      const entry = bySource.get(key) ?? { ref, blocking: false, lines: [] };
      entry.blocking ||= r.blocking;
      entry.lines.push(describeRejection(r));
      bySource.set(key, entry);
    }
  const cond = (e: { blocking: boolean; lines: string[] }): Condition => ({
    type: ENVOY_ACCEPTED,
    status: 'False',
    reason: e.blocking ? 'Rejected' : 'AcceptedWithProblems',
    message: e.lines.join('\n'),
  });
  const out = statuses.map((s) => {
    const e = bySource.get(refKey(s));
    if (!e) return s;
    bySource.delete(refKey(s));
    if (s.kind.endsWith('Route') && s.parents && s.parents.length > 0)
      return { ...s, parents: s.parents.map((p) => ({ ...p, conditions: [...p.conditions, cond(e)] })) };
    return { ...s, conditions: [...(s.conditions ?? []), cond(e)] };
  });
  for (const e of bySource.values()) out.push({ ...e.ref, conditions: [cond(e)] });
  return out.sort((a, b) => (refKey(a) < refKey(b) ? -1 : refKey(a) > refKey(b) ? 1 : 0));
}
