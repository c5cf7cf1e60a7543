import { inNamespace, type MtlsMode, type PeerAuthentication, type World } from '../../model';

/** What a workload port accepts from its peers, once inheritance is resolved. */
export type PeerMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** Istio's mesh default when no PeerAuthentication says otherwise. */
const MESH_DEFAULT: PeerMode = 'PERMISSIVE';

/** The workload a mode is resolved for: its namespace, labels and the (container) port. */
export interface PeerTarget {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  port: number;
}

const set = (m: MtlsMode | undefined): m is PeerMode => m !== undefined && m !== 'UNSET';

// When several policies compete at one level, the oldest wins, then the name.
function oldest(ps: PeerAuthentication[]): PeerAuthentication | undefined {
  const at = (p: PeerAuthentication) => p.metadata.creationTimestamp ?? '';
  return [...ps].sort((a, b) => {
    if (at(a) !== at(b)) return at(a) < at(b) ? -1 : 1;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  })[0];
}

const selectorOf = (p: PeerAuthentication) => Object.entries(p.spec?.selector?.matchLabels ?? {});

/**
 * The mTLS mode of one workload port, as Istio composes it: the mesh-wide
 * policy (root namespace, no selector), then the namespace-wide one, then the
 * oldest policy whose selector picks the workload, its port-level setting
 * last. UNSET at any level inherits from the level above.
 */
export function peerMode(world: World, target: PeerTarget, rootNamespace: string): PeerMode {
  const wide = (ns: string) =>
    oldest(inNamespace(world, 'PeerAuthentication', ns).filter((p) => selectorOf(p).length === 0));
  const workload = oldest(
    inNamespace(world, 'PeerAuthentication', target.namespace).filter((p) => {
      const sel = selectorOf(p);
      return sel.length > 0 && sel.every(([k, v]) => target.labels[k] === v);
    }),
  );
  let mode = MESH_DEFAULT;
  const levels =
    target.namespace === rootNamespace ? [wide(rootNamespace)] : [wide(rootNamespace), wide(target.namespace)];
  for (const p of [...levels, workload]) {
    const m = p?.spec?.mtls?.mode;
    if (set(m)) mode = m;
  }
  const port = workload?.spec?.portLevelMtls?.[String(target.port)]?.mode;
  return set(port) ? port : mode;
}
