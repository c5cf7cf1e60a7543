import type { KubeObject } from '../model';
import { targetRefsOf } from './policy/targeting';
import { parentKey, type AnyRoute } from './route/route-attach';

const REF_KINDS: ReadonlySet<string> = new Set([
  'HTTPRoute',
  'GRPCRoute',
  'TCPRoute',
  'TLSRoute',
  'AuthorizationPolicy',
]);

export const isRefKind = (kind: string) => REF_KINDS.has(kind);

/**
 * What an object of a kind found by reference names: a route's parents
 * (route-attach.ts: parentKey), an AuthorizationPolicy's target Services
 * (`ns/name`). A reader that looks such objects up by the referenced key can
 * record that key alone (Reads.referencing), and a change to one of them
 * reaches only the readers of what it named before or names now
 * (readKeysOfAll). Undefined for the kinds not found this way.
 */
export function refsOf(o: KubeObject): string[] | undefined {
  const ns = o.metadata.namespace ?? '';
  switch (o.kind) {
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TCPRoute':
    case 'TLSRoute':
      return ((o as AnyRoute).spec?.parentRefs ?? [])
        .map((r) => parentKey(r, ns))
        .filter((k): k is string => k !== undefined);
    case 'AuthorizationPolicy':
      return serviceTargetsOf(o);
    default:
      return undefined;
  }
}

/** The Services (`ns/name`) a policy's targetRefs name; policies target their own namespace only. */
export function serviceTargetsOf(o: KubeObject): string[] {
  const ns = o.metadata.namespace ?? '';
  return targetRefsOf((o as { spec?: Parameters<typeof targetRefsOf>[0] }).spec)
    .filter((t) => t.kind === 'Service' && (t.group ?? '') === '')
    .map((t) => `${ns}/${t.name}`);
}
