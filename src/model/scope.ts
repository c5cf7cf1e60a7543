// Where an object lives, settled once as it enters the model: the types of
// namespaced kinds promise `metadata.namespace` (meta.ts: Namespaced), and this
// is what keeps that promise for objects from any source.
import { kindInfo } from './kinds';
import type { KubeObject } from './meta';

/** kubectl's namespace for a namespaced object that names none (the API server always sets one). */
export const DEFAULT_NAMESPACE = 'default';

/**
 * The namespace an object of `kind` is held under: a namespaced kind's missing
 * one defaults as kubectl's does; a cluster-scoped kind has none (the API
 * server ignores one given). Kinds we do not read keep what they were given.
 */
export function scopedNamespace(kind: string, namespace: string | undefined): string | undefined {
  const info = kindInfo(kind);
  if (!info) return namespace;
  if (!info.namespaced) return undefined;
  return namespace || DEFAULT_NAMESPACE;
}

/** The object with its namespace settled as `scopedNamespace` says; the same object when already so. */
export function scoped<T extends KubeObject>(o: T): T {
  const namespace = scopedNamespace(o.kind, o.metadata.namespace);
  if (namespace === o.metadata.namespace) return o;
  const { namespace: _dropped, ...rest } = o.metadata;
  return { ...o, metadata: namespace === undefined ? rest : { ...rest, namespace } };
}
