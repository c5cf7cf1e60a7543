import YAML, { LineCounter } from 'yaml';
import { keyOf, kindInfo, resolveKind, type KubeObject } from '../model';
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
} {
  if (!isObject(raw)) return { problems: ['document is not an object'] };
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
  const object = raw as unknown as KubeObject;
  if (info.namespaced && !namespace) object.metadata.namespace = 'default';
  if (!info.namespaced && namespace) delete object.metadata.namespace;
  const problems = info.validate(object);
  return {
    object: problems.length === 0 ? (info.trim ? info.trim(object) : object) : undefined,
    problems,
    kind,
    name,
    namespace: object.metadata.namespace,
  };
}

/** The objects of one document, each with the line it starts at. */
function expand(
  raw: unknown,
  doc: YAML.Document.Parsed,
  lc: LineCounter,
  line: number,
): { raw: unknown; line: number }[] {
  // A `kind: List` (what kubectl get -o yaml prints) carries its objects in items.
  if (!(isObject(raw) && raw.kind === 'List' && Array.isArray(raw.items))) return [{ raw, line }];
  const items = doc.get('items', true);
  return raw.items.map((item, i) => {
    const node = YAML.isSeq(items) ? items.items[i] : undefined;
    const start = YAML.isNode(node) ? node.range?.[0] : undefined;
    return { raw: item, line: start === undefined ? line : lc.linePos(start).line };
  });
}

/** Parses a YAML (multi-document) or JSON file into objects and precise errors. */
export function parseManifestFile(file: string, text: string, maxDocBytes = DEFAULT_MAX_DOCUMENT_BYTES): ParsedFile {
  const out: ParsedFile = { docs: [], errors: [], invalidKeys: new Set(), unreadable: false };
  const err = (
    line: number | undefined,
    message: string,
    id: { kind?: string; name?: string; namespace?: string } = {},
  ) => out.errors.push({ source: 'directory', file, line, ...id, message });
  const lc = new LineCounter();
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text, {
      lineCounter: lc,
      prettyErrors: false,
      uniqueKeys: false,
    }) as YAML.Document.Parsed[];
  } catch (e) {
    out.unreadable = true;
    err(1, `cannot parse: ${e instanceof Error ? e.message : String(e)}`);
    return out;
  }
  for (const doc of docs) {
    // Report the first line of content, not the `---` separator before it.
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const line = lc.linePos(start).line;
    if (doc.errors.length > 0) {
      out.unreadable = true;
      const first = doc.errors[0];
      const at = first?.pos?.[0] !== undefined ? lc.linePos(first.pos[0]).line : line;
      err(at, `invalid YAML: ${first?.message.split('\n')[0] ?? 'parse error'}`);
      continue;
    }
    const size = (doc.range?.[2] ?? start) - start;
    if (size > maxDocBytes) {
      out.unreadable = true;
      err(line, `document is ${size} bytes, more than the limit of ${maxDocBytes}`);
      continue;
    }
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // Unresolved or runaway aliases fail only here, after parsing succeeded.
      out.unreadable = true;
      err(line, `invalid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    if (js === null || js === undefined) continue;
    for (const { raw, line: at } of expand(js, doc, lc, line)) {
      const r = checkDocument(raw);
      if (r.irrelevant) continue;
      if (r.object) {
        out.docs.push({ object: r.object, line: at });
        continue;
      }
      err(at, r.problems.join('; '), { kind: r.kind, name: r.name, namespace: r.namespace });
      if (r.kind && r.name) {
        const info = kindInfo(r.kind);
        out.invalidKeys.add(
          keyOf({
            apiVersion: '',
            kind: r.kind,
            metadata: { name: r.name, namespace: info?.namespaced ? (r.namespace ?? 'default') : undefined },
          }),
        );
      } else {
        out.unreadable = true;
      }
    }
  }
  return out;
}
