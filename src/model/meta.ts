// The parts every Kubernetes object shares, and the one key format.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface KubeObject<K extends string = string, Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  /**
   * Problems found at load in an object that is still served, in a form that
   * fails closed (an AuthorizationPolicy whose invalid rules were narrowed or
   * widened); they become its status. Never sent to the API server.
   */
  invalid?: readonly string[];
}

/** The metadata of a loaded object of a namespaced kind: its namespace is always set (model/scope.ts). */
export interface NamespacedMeta extends ObjectMeta {
  namespace: string;
}

/**
 * An object of a namespaced kind as the model holds it. Every source defaults a
 * missing namespace at load (as kubectl does, and the API server always sets
 * it), so readers never guess one.
 */
export type Namespaced<T extends KubeObject> = T & { metadata: NamespacedMeta };

/** `KubeObject` for a namespaced kind. */
export type NamespacedObject<K extends string = string, Spec = unknown, Status = unknown> = Namespaced<
  KubeObject<K, Spec, Status>
>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** `Kind/namespace/name` (`Kind/name` for cluster-scoped kinds): the one key format. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

export function keyOf(o: KubeObject): string {
  return objectKey(o.kind, o.metadata.namespace, o.metadata.name);
}

/** The kind of a key made by objectKey: what precedes its first `/`. */
export function kindOfKey(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? key : key.slice(0, i);
}

export function parseKey(key: string): { kind: string; namespace?: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 3) return { kind: parts[0] ?? '', namespace: parts[1], name: parts[2] ?? '' };
  return { kind: parts[0] ?? '', name: parts[1] ?? '' };
}

export function matchesSelector(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const v = l[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(v ?? ''))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(v ?? '')) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Label-map selector (Service.spec.selector): every pair must match; empty selects nothing. */
export function matchesLabels(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}
