import { CORE_SCHEMA, loadAll, mergeTag, YAMLException } from 'js-yaml';
import YAML, { LineCounter } from 'yaml';
import { keyOf, kindInfo, type KubeObject } from '../model';
import { NOT_BLOCK_YAML, parseBlockYaml } from './block-yaml';
import { checkDocument, DEFAULT_MAX_DOCUMENT_BYTES, type ParsedFile } from './manifests';
import { splitDocuments, type Chunk } from './split';

/**
 * What one document's text turned into. Lines are offsets from the chunk's
 * first line, so a result stays valid when lines are added above the
 * document and can be reused for identical text.
 */
export interface ChunkResult {
  docs: { object: KubeObject; at: number }[];
  errors: { at: number; message: string; kind?: string; name?: string; namespace?: string }[];
  /** Keys of documents that were identifiable but invalid: their last good version stays. */
  invalidKeys: string[];
  /** True when something in it could not be identified (invalid YAML, too large). */
  unreadable: boolean;
  /** CustomResourceDefinitions in it. */
  crds?: unknown[];
}

// Documents in plain block style (nearly all) are read by block-yaml.ts,
// ~3 times faster than js-yaml; the rest by js-yaml, which parses the
// 10k-service benchmark directory about 10 times faster than `yaml` and
// reports error positions. CORE_SCHEMA resolves scalars as YAML 1.2 (no
// timestamps), and merge keys are read as kubectl's go-yaml does.
const LOAD_OPTIONS = { schema: CORE_SCHEMA.withTags(mergeTag), json: true };

/** Something that may be an alias (`*name` after a blank or flow indicator); most manifests have none. */
const ALIAS = /[\s[{,]\*[^\s,\]}]/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Counts the nodes of `v` as if every alias were written out, stopping at
 * `budget`; returns -1 past it. Aliases are shared references in js-yaml, so a
 * few of them can stand for billions of nodes (the "billion laughs").
 */
function expandedNodes(v: unknown, budget: number): { nodes: number; shared: boolean } {
  const stack: unknown[] = [v];
  const seen = new Set<object>();
  let nodes = 0;
  let shared = false;
  while (stack.length > 0) {
    const x = stack.pop();
    if (++nodes > budget) return { nodes: -1, shared };
    if (x === null || typeof x !== 'object') continue;
    if (seen.has(x)) shared = true;
    else seen.add(x);
    if (Array.isArray(x)) for (const y of x) stack.push(y);
    else for (const y of Object.values(x)) stack.push(y);
  }
  return { nodes, shared };
}

/** The objects of a `kind: List` document, each with its own line (via `yaml`, whose nodes carry positions). */
function listItems(text: string, items: unknown[], at: number): { raw: unknown; at: number }[] {
  const lc = new LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter: lc, uniqueKeys: false });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  const seq = doc?.get('items', true);
  return items.map((raw, i) => {
    const node = YAML.isSeq(seq) ? seq.items[i] : undefined;
    const start = YAML.isNode(node) ? node.range?.[0] : undefined;
    return { raw, at: start === undefined ? at : lc.linePos(start).line - 1 };
  });
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Parses one document's text (a chunk from splitDocuments). `contentAt` is
 * the offset of its first content line, where its object is reported.
 */
export function parseChunk(text: string, contentAt: number, maxDocBytes: number): ChunkResult {
  const out: ChunkResult = { docs: [], errors: [], invalidKeys: [], unreadable: false };
  // Refused before parsing: parsing is what costs time and memory.
  const bytes = Buffer.byteLength(text);
  if (bytes > maxDocBytes) {
    out.unreadable = true;
    out.errors.push({ at: contentAt, message: `document is ${bytes} bytes, more than the limit of ${maxDocBytes}` });
    return out;
  }
  let values: unknown[];
  try {
    values = loadAll(text, LOAD_OPTIONS);
  } catch (e) {
    out.unreadable = true;
    const at = e instanceof YAMLException && e.mark ? e.mark.line : contentAt;
    const why = e instanceof YAMLException ? e.reason : e instanceof Error ? firstLine(e.message) : String(e);
    out.errors.push({ at, message: `invalid YAML: ${why}` });
    return out;
  }
  return toResult(out, values, text, contentAt, maxDocBytes);
}

function toResult(
  out: ChunkResult,
  values: unknown[],
  text: string,
  contentAt: number,
  maxDocBytes: number,
  aliasFree = false,
): ChunkResult {
  for (const value of values) {
    if (value === null || value === undefined) continue;
    // No expansion may exceed what the size limit allows as plain text.
    const { nodes, shared } =
      !aliasFree && ALIAS.test(text) ? expandedNodes(value, maxDocBytes / 2) : { nodes: 0, shared: false };
    if (nodes < 0) {
      out.unreadable = true;
      out.errors.push({ at: contentAt, message: 'invalid YAML: aliases expand past the document size limit' });
      continue;
    }
    // Shared references would let one object's normalisation change another.
    const js = shared ? (JSON.parse(JSON.stringify(value)) as unknown) : value;
    const expanded =
      isObject(js) && js.kind === 'List' && Array.isArray(js.items)
        ? listItems(text, js.items, contentAt)
        : [{ raw: js, at: contentAt }];
    for (const { raw, at } of expanded) {
      const r = checkDocument(raw);
      if (r.crd) (out.crds ??= []).push(r.crd);
      if (r.irrelevant) continue;
      // A kind with a fail-closed form (AuthorizationPolicy) is served that
      // way and still reported.
      if (r.object) out.docs.push({ object: r.object, at });
      if (r.problems.length > 0)
        out.errors.push({ at, message: r.problems.join('; '), kind: r.kind, name: r.name, namespace: r.namespace });
      if (r.object) continue;
      if (r.kind && r.name) {
        const info = kindInfo(r.kind);
        out.invalidKeys.push(
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

/**
 * Parses several documents at once: one js-yaml call per document costs a
 * fixed setup that dominates at thousands of small documents, so the ones
 * within the size limit are parsed in one call, with a `---` before each
 * that lacks one, and matched back to their chunks in order. When that fails
 * (a syntax error, whose line would be off) each is parsed alone.
 */
export function parseChunks(chunks: readonly Chunk[], maxDocBytes: number): ChunkResult[] {
  // Plain block YAML first (most manifests are); the rest goes to js-yaml.
  const out: (ChunkResult | undefined)[] = chunks.map((c) => {
    if (!withinLimit(c, maxDocBytes)) return undefined;
    const value = parseBlockYaml(c.text, LOAD_OPTIONS.schema);
    if (value === NOT_BLOCK_YAML) return undefined;
    const res: ChunkResult = { docs: [], errors: [], invalidKeys: [], unreadable: false };
    return toResult(res, [value], c.text, c.contentLine - c.line, maxDocBytes, true);
  });
  const rest = chunks.filter((_, i) => out[i] === undefined);
  if (rest.length === 0) return out as ChunkResult[];
  const slow = jsYamlChunks(rest, maxDocBytes);
  let next = 0;
  return out.map((r) => r ?? (slow[next++] as ChunkResult));
}

/** UTF-16 length × 3 bounds the UTF-8 size: most chunks skip the byte count. */
function withinLimit(c: Chunk, maxDocBytes: number): boolean {
  return c.text.length * 3 <= maxDocBytes || Buffer.byteLength(c.text) <= maxDocBytes;
}

function jsYamlChunks(chunks: readonly Chunk[], maxDocBytes: number): ChunkResult[] {
  // In groups of about BATCH_CHARS: js-yaml first lists a whole input's parse
  // events, and smaller lists die young, which the garbage collector handles best.
  const out: ChunkResult[] = [];
  let from = 0;
  let size = 0;
  for (let i = 0; i < chunks.length; i++) {
    size += (chunks[i] as Chunk).text.length;
    if (size < BATCH_CHARS && i < chunks.length - 1) continue;
    out.push(...parseBatch(chunks.slice(from, i + 1), maxDocBytes));
    from = i + 1;
    size = 0;
  }
  return out;
}

/** Measured at 10k services: 32 KB groups took ~3.1 s of CPU, one group per file ~3.8 s. */
const BATCH_CHARS = 32_768;

function parseBatch(chunks: readonly Chunk[], maxDocBytes: number): ChunkResult[] {
  const one = (c: Chunk) => parseChunk(c.text, c.contentLine - c.line, maxDocBytes);
  const small = chunks.filter((c) => withinLimit(c, maxDocBytes));
  if (small.length < 2) return chunks.map(one);
  const joined = small.map((c) => `${c.marked ? '' : '---\n'}${c.text}${c.text.endsWith('\n') ? '' : '\n'}`).join('');
  let values: unknown[];
  try {
    values = loadAll(joined, LOAD_OPTIONS);
  } catch {
    return chunks.map(one);
  }
  if (values.length !== small.length) return chunks.map(one);
  const byChunk = new Map(small.map((c, i) => [c, values[i]]));
  return chunks.map((c) => {
    if (!byChunk.has(c)) return one(c);
    const out: ChunkResult = { docs: [], errors: [], invalidKeys: [], unreadable: false };
    return toResult(out, [byChunk.get(c)], c.text, c.contentLine - c.line, maxDocBytes);
  });
}

/** Parses a YAML (multi-document) or JSON file into objects and precise errors. */
export function parseManifestFile(file: string, text: string, maxDocBytes = DEFAULT_MAX_DOCUMENT_BYTES): ParsedFile {
  const out: ParsedFile = { docs: [], errors: [], invalidKeys: new Set(), unreadable: false };
  const chunks = splitDocuments(text);
  const results = parseChunks(chunks, maxDocBytes);
  chunks.forEach((c, i) => addChunk(out, file, c.line, results[i] as ChunkResult));
  return out;
}

/** Adds a chunk's result, placed at `line` (its first line), to a file's result. */
export function addChunk(out: ParsedFile, file: string, line: number, r: ChunkResult): void {
  for (const d of r.docs) out.docs.push({ object: d.object, line: line + d.at });
  for (const { at, ...e } of r.errors) out.errors.push({ source: 'directory', file, line: line + at, ...e });
  for (const k of r.invalidKeys) out.invalidKeys.add(k);
  if (r.unreadable) out.unreadable = true;
  if (r.crds) (out.crds ??= []).push(...r.crds);
}
