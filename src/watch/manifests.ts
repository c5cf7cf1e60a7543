import { isCrd, kindInfo, problemsOf, resolveKind, scoped, type KubeObject } from '../model';
import type { SourceError } from './source';

export interface ParsedDoc {
  object: KubeObject;
  line: number;
}

export interface ParsedFile {
  docs: ParsedDoc[];
  errors: SourceError[];
  /** Keys of documents that were identifiable but invalid: their last good version stays. */
  invalidKeys: Set<string>;
  /** True when some document could not even be identified (invalid YAML). */
  unreadable: boolean;
  /** CustomResourceDefinitions among the documents: their schemas check the other objects. */
  crds?: unknown[];
}

export const DEFAULT_MAX_DOCUMENT_BYTES = 1 << 20;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks one decoded document and returns it as a typed object, or the problems. */
export function checkDocument(raw: unknown): {
  object?: KubeObject;
  problems: string[];
  kind?: string;
  name?: string;
  namespace?: string;
  irrelevant?: boolean;
  crd?: Record<string, unknown>;
} {
  if (!isObject(raw)) return { problems: ['document is not an object'] };
  if (isCrd(raw)) return { problems: [], irrelevant: true, crd: raw };
  const kind = typeof raw.kind === 'string' ? raw.kind : undefined;
  const meta = isObject(raw.metadata) ? raw.metadata : undefined;
  const name = typeof meta?.name === 'string' ? meta.name : undefined;
  const namespace = typeof meta?.namespace === 'string' ? meta.namespace : undefined;
  const apiVersion = typeof raw.apiVersion === 'string' ? raw.apiVersion : undefined;
  const ident = { kind, name, namespace };
  if (!kind) return { ...ident, problems: ['kind: required'] };
  if (!apiVersion) return { ...ident, problems: ['apiVersion: required'] };
  const info = resolveKind(apiVersion, kind);
  if (!info) {
    const known = kindInfo(kind);
    return {
      ...ident,
      problems: [
        known
          ? `apiVersion ${apiVersion} is not served for ${kind} (use ${known.group ? `${known.group}/` : ''}${known.versions.join(' or ')})`
          : `unknown kind ${kind} (${apiVersion})`,
      ],
    };
  }
  if (!name) return { ...ident, problems: ['metadata.name: required'] };
  if (info.relevant && !info.relevant(raw as unknown as KubeObject))
    return { ...ident, problems: [], irrelevant: true };
  const object = scoped(raw as unknown as KubeObject);
  const problems = problemsOf(info, object);
  return {
    object: problems.length === 0 ? (info.trim ? info.trim(object) : object) : info.failClosed?.(object, problems),
    problems,
    kind,
    name,
    namespace: object.metadata.namespace,
  };
}
