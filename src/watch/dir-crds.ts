// CustomResourceDefinitions kept in a config directory: their schemas and CEL
// rules check the directory's other objects, as the API server would check
// them against the CRDs it serves.
import type { Logger } from 'pino';
import { crds, type KubeObject } from '../model';
import type { SourceError } from './source';

export interface CrdHolder {
  crds?: unknown[];
  objects: Map<string, { object: KubeObject }>;
  errors: SourceError[];
}

/**
 * Declares every CRD the files hold (in path order) as the directory's, and
 * returns the kinds whose schema changed: documents of those kinds must be
 * checked again.
 */
export function applyDirectoryCrds(source: string, files: ReadonlyMap<string, CrdHolder>, log?: Logger): Set<string> {
  const docs = [...files.keys()].sort().flatMap((p) => files.get(p)?.crds ?? []);
  const { changed, problems } = crds.replace(source, docs);
  for (const p of problems) log?.warn({ source, problem: p }, 'CustomResourceDefinition not used');
  if (changed.length > 0) log?.info({ source, versions: changed }, 'schemas from CustomResourceDefinitions changed');
  return new Set(changed.map((k) => k.split('/').pop() as string));
}

/** Whether a file holds (or refused) an object of one of `kinds`. */
export function holdsKind(f: CrdHolder, kinds: ReadonlySet<string>): boolean {
  for (const o of f.objects.values()) if (kinds.has(o.object.kind)) return true;
  return f.errors.some((e) => e.kind !== undefined && kinds.has(e.kind));
}
