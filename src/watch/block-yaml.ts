import { NOT_RESOLVED, type Schema, type ScalarTagDefinition } from 'js-yaml';

/**
 * A parser for the plain block YAML that tools write for Kubernetes objects
 * (`kubectl get -o yaml`, Helm's output, `yaml`'s stringify): block mappings
 * and sequences, plain and one-line quoted scalars, `{}` and `[]`, comments.
 *
 * It exists for speed: js-yaml spends ~1.7 s on the generated 10k-service
 * directory (45 MB), most of a cold start. It never decides anything js-yaml
 * would decide differently: on anything outside that subset (anchors,
 * aliases, tags, block scalars, flow collections with content, quoted
 * scalars over several lines, anything js-yaml would refuse) it gives up,
 * and the caller hands the document to js-yaml, which also reports the
 * errors. Plain scalars are resolved by the tags of the caller's js-yaml
 * schema. test/watch/block-yaml.test.ts holds the two to the same values.
 */

/** Returned when the document is outside the subset. */
export const NOT_BLOCK_YAML: unique symbol = Symbol('not block YAML');

// What js-yaml refuses (non-printable characters, lone surrogates), plus
// tabs and carriage returns, which change how lines split.
const REFUSED =
  /[\t\r\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

// What a plain scalar or key may not start with here, by character code:
// YAML's indicators ('?' and ':' may start one when a non-space follows;
// those are left to js-yaml).
const NOT_PLAIN_START = new Uint8Array(128);
for (const c of '?:,[]{}#&*!|>\'"%@`') NOT_PLAIN_START[c.charCodeAt(0)] = 1;

// Backslash escapes JSON does not share with YAML's double-quoted style.
const NON_JSON_ESCAPE = /\\(?:[^"\\/bfnrtu]|u(?![0-9a-fA-F]{4}))/;

const MERGE_TAG = 'tag:yaml.org,2002:merge';
const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;

class Bail {}
const BAIL = new Bail();

/** The implicit scalar tags of a schema, by the first characters they may match. */
interface Resolver {
  byFirst: Map<string, ScalarTagDefinition[]>;
  anyFirst: ScalarTagDefinition[];
  /** By character code: whether some tag may match a scalar starting with it (most text is a string). */
  mayMatch: Uint8Array;
}
const resolvers = new WeakMap<Schema, Resolver>();

function resolverOf(schema: Schema): Resolver {
  let r = resolvers.get(schema);
  if (r) return r;
  r = { byFirst: new Map(), anyFirst: [], mayMatch: new Uint8Array(128) };
  for (const t of schema.tags) {
    if (t.nodeKind !== 'scalar' || !t.implicit) continue;
    if (t.implicitFirstChars === null) {
      r.anyFirst.push(t);
      for (const list of r.byFirst.values()) list.push(t);
      continue;
    }
    for (const c of t.implicitFirstChars) {
      const list = r.byFirst.get(c) ?? [...r.anyFirst];
      list.push(t);
      r.byFirst.set(c, list);
    }
  }
  for (const c of r.byFirst.keys()) if (c.length === 1 && c.charCodeAt(0) < 128) r.mayMatch[c.charCodeAt(0)] = 1;
  resolvers.set(schema, r);
  return r;
}

/** Parses one document, or returns NOT_BLOCK_YAML. Plain scalars resolve by `schema`'s implicit tags, as in js-yaml. */
export function parseBlockYaml(text: string, schema: Schema): unknown {
  if (REFUSED.test(text)) return NOT_BLOCK_YAML;
  try {
    const p = new BlockParser(text, resolverOf(schema));
    if (p.done) return null;
    const v = p.collection(p.indent);
    return p.done ? v : NOT_BLOCK_YAML;
  } catch (e) {
    if (e === BAIL) return NOT_BLOCK_YAML;
    throw e;
  }
}

/**
 * A cursor over the document's lines with content. The current line runs
 * from `at` (its content, after `indent` spaces) to `eol`; `gap` says a blank
 * or comment line came before it.
 */
class BlockParser {
  at = 0;
  eol = -1;
  /** The first ':' at or after the last search's start (s.length when none): searches only move forward. */
  private colon = -1;
  /** Likewise for '#'. */
  private hash = -1;
  /** Whether the last plain text read ended at a comment. */
  private commented = false;
  indent = 0;
  gap = false;
  done = false;

  constructor(
    private readonly s: string,
    private readonly resolver: Resolver,
  ) {
    this.next(true);
  }

  /** Moves to the next line with content. */
  private next(first = false): void {
    const s = this.s;
    let start = this.eol + 1;
    let gap = false;
    while (start < s.length) {
      let eol = s.indexOf('\n', start);
      if (eol < 0) eol = s.length;
      let i = start;
      while (s.charCodeAt(i) === SPACE) i++;
      if (i === eol || s.charCodeAt(i) === HASH) {
        gap = true;
        start = eol + 1;
        continue;
      }
      if (i === start) {
        const c = s.charCodeAt(i);
        if (c === 37 /* % */) throw BAIL;
        if ((c === DASH || c === 46) && isMarker(s, i, eol)) {
          // The document's own `---` opens it; any other marker, or content
          // after one, is js-yaml's to read.
          if (!first || c !== DASH || !onlyComment(s, i + 3, eol)) throw BAIL;
          first = false;
          gap = true;
          start = eol + 1;
          continue;
        }
      }
      this.at = i;
      this.eol = eol;
      this.indent = i - start;
      this.gap = gap;
      return;
    }
    this.eol = s.length;
    this.done = true;
  }

  /** The block collection whose first line is the current one, at `indent`. */
  collection(indent: number): unknown {
    return isEntry(this.s, this.at, this.eol) ? this.sequence(indent) : this.mapping(indent);
  }

  /**
   * The value of a key or entry written on the lines below it. `parent` is
   * the column of the key (or of the `-`); a sequence may sit at the key's
   * own column (`seqAtParent`), as kubectl writes them.
   */
  private nested(parent: number, seqAtParent: boolean): unknown {
    if (this.done) return null;
    if (this.indent > parent) return this.collection(this.indent);
    if (this.indent === parent && seqAtParent && isEntry(this.s, this.at, this.eol)) return this.sequence(parent);
    return null;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    const s = this.s;
    while (!this.done && this.indent === indent && isEntry(s, this.at, this.eol)) {
      let col = this.at + 1;
      while (s.charCodeAt(col) === SPACE) col++;
      if (col === this.eol || s.charCodeAt(col) === HASH) {
        this.next();
        out.push(this.nested(indent, false));
      } else if (isEntry(s, col, this.eol)) {
        throw BAIL; // `- - x`
      } else if (this.findColon(col) >= 0) {
        // `- key: value`: a mapping whose keys sit at the entry's content column.
        const keys = indent + (col - this.at);
        this.at = col;
        this.indent = keys;
        out.push(this.mapping(keys));
      } else {
        out.push(this.scalar(col, indent));
      }
    }
    if (!this.done && this.indent > indent) throw BAIL;
    return out;
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const s = this.s;
    // An entry at the mapping's column belongs to a collection further out.
    while (!this.done && this.indent === indent && !isEntry(s, this.at, this.eol)) {
      const colon = this.findColon(this.at);
      if (colon < 0) throw BAIL;
      const key = this.key(colon);
      let col = colon + 1;
      while (s.charCodeAt(col) === SPACE) col++;
      let value: unknown;
      if (col === this.eol || s.charCodeAt(col) === HASH) {
        this.next();
        value = this.nested(indent, true);
      } else {
        value = this.scalar(col, indent);
      }
      out[key] = value;
    }
    if (!this.done && this.indent > indent) throw BAIL;
    return out;
  }

  /** The key of the current line, which ends at `colon`. */
  private key(colon: number): string {
    const s = this.s;
    const c = s.charCodeAt(this.at);
    let key: string;
    if (c === DQUOTE || c === SQUOTE) {
      key = quoted(s, this.at, closingQuote(s, this.at, colon) + 1);
    } else {
      let end = colon;
      while (s.charCodeAt(end - 1) === SPACE) end--;
      const raw = s.slice(this.at, end);
      if (!plainStart(s, this.at, end) || raw.includes(' #')) throw BAIL;
      // js-yaml keys a plain object by the resolved value's string form.
      key = String(this.resolve(raw));
    }
    if (key === '__proto__') throw BAIL;
    return key;
  }

  /** A scalar starting at `col` of the current line; its continuation lines must be deeper than `parent`. */
  private scalar(col: number, parent: number): unknown {
    const s = this.s;
    const eol = this.eol;
    const c = s.charCodeAt(col);
    this.next();
    if (c === DQUOTE || c === SQUOTE) {
      const close = closingQuote(s, col, eol);
      if (close < 0 || !onlyComment(s, close + 1, eol)) throw BAIL;
      this.noDeeper(parent);
      return quoted(s, col, close + 1);
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (s.charCodeAt(col + 1) !== c + 2 || !onlyComment(s, col + 2, eol)) throw BAIL;
      this.noDeeper(parent);
      return c === 123 ? {} : [];
    }
    if (!plainStart(s, col, eol)) throw BAIL;
    let text = this.plainText(col, eol);
    // A plain scalar folds onto the deeper lines that follow it.
    while (!this.done && this.indent > parent) {
      if (this.commented || this.gap || !plainStart(s, this.at, this.eol) || s.charCodeAt(this.at) === DASH) throw BAIL;
      text += ' ' + this.plainText(this.at, this.eol);
      this.next();
    }
    return this.resolve(text);
  }

  /** The first `c` at or after `i` (s.length when none), from the memo when it is still ahead. */
  private nextOf(c: string, memo: number, i: number): number {
    if (memo >= i) return memo;
    const j = this.s.indexOf(c, i);
    return j < 0 ? this.s.length : j;
  }

  /** The plain text from `i` to a comment or the end of the line, refusing what would make it a mapping. */
  private plainText(i: number, eol: number): string {
    const s = this.s;
    let end = (this.hash = this.nextOf('#', this.hash, i));
    while (end < eol && s.charCodeAt(end - 1) !== SPACE) end = this.hash = this.nextOf('#', -1, end + 1);
    // A comment ends the scalar: no line may continue it.
    this.commented = end < eol;
    if (end > eol) end = eol;
    while (s.charCodeAt(end - 1) === SPACE) end--;
    const t = s.slice(i, end);
    if (t.includes(': ') || t.charCodeAt(t.length - 1) === COLON) throw BAIL;
    return t;
  }

  /**
   * The colon ending a key on the current line (followed by a space or the
   * end of the line), or -1 when the content at `i` is not a key. A quoted
   * key ends at its closing quote.
   */
  private findColon(i: number): number {
    const s = this.s;
    const eol = this.eol;
    const c = s.charCodeAt(i);
    if (c === DQUOTE || c === SQUOTE) {
      const close = closingQuote(s, i, eol);
      if (close < 0) return -1;
      let j = close + 1;
      while (s.charCodeAt(j) === SPACE) j++;
      return s.charCodeAt(j) === COLON && (j + 1 === eol || s.charCodeAt(j + 1) === SPACE) ? j : -1;
    }
    let j = (this.colon = this.nextOf(':', this.colon, i));
    while (j < eol) {
      if (j + 1 === eol || s.charCodeAt(j + 1) === SPACE) return j;
      j = this.colon = this.nextOf(':', -1, j + 1);
    }
    return -1;
  }

  private noDeeper(parent: number): void {
    if (!this.done && this.indent > parent) throw BAIL;
  }

  /** A plain scalar's value, as js-yaml resolves it; a merge key (`<<`) is js-yaml's to handle. */
  private resolve(text: string): unknown {
    const first = text.charCodeAt(0);
    if (first < 128 && this.resolver.mayMatch[first] === 0 && this.resolver.anyFirst.length === 0) return text;
    const tags = this.resolver.byFirst.get(text.charAt(0)) ?? this.resolver.anyFirst;
    for (const tag of tags) {
      const v = tag.resolve(text, false, tag.tagName);
      if (v === NOT_RESOLVED) continue;
      if (tag.tagName === MERGE_TAG) throw BAIL;
      return v;
    }
    return text;
  }
}

function isMarker(s: string, i: number, eol: number): boolean {
  const c = s.charCodeAt(i);
  return s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === c && (i + 3 === eol || s.charCodeAt(i + 3) === SPACE);
}

/** Whether a block sequence entry (`-` then a space or the end of the line) is at `i`. */
function isEntry(s: string, i: number, eol: number): boolean {
  return s.charCodeAt(i) === DASH && (i + 1 === eol || s.charCodeAt(i + 1) === SPACE);
}

/** Whether a plain scalar may start at `i` (a '-' only when a non-space follows, as in `-1`). */
function plainStart(s: string, i: number, eol: number): boolean {
  if (i >= eol) return false;
  const c = s.charCodeAt(i);
  if (c === DASH) return i + 1 < eol && s.charCodeAt(i + 1) !== SPACE;
  return c >= 128 || NOT_PLAIN_START[c] === 0;
}

/** Whether nothing but spaces and a comment follow `i` on its line. */
function onlyComment(s: string, i: number, eol: number): boolean {
  const from = i;
  while (s.charCodeAt(i) === SPACE) i++;
  return i >= eol || (i > from && s.charCodeAt(i) === HASH);
}

/** The offset of the quote closing the one at `open`, or -1 when it is not before `eol`. */
function closingQuote(s: string, open: number, eol: number): number {
  const q = s.charCodeAt(open);
  for (let i = open + 1; i < eol; i++) {
    const c = s.charCodeAt(i);
    if (q === DQUOTE && c === BACKSLASH) i++;
    else if (c === q) {
      if (q === SQUOTE && s.charCodeAt(i + 1) === SQUOTE) i++;
      else return i;
    }
  }
  return -1;
}

/** The value of the quoted scalar `s[from, end)`, quotes included. */
function quoted(s: string, from: number, end: number): string {
  if (end <= from) throw BAIL;
  const inner = s.slice(from + 1, end - 1);
  if (s.charCodeAt(from) === SQUOTE) return inner.includes("''") ? inner.replaceAll("''", "'") : inner;
  if (!inner.includes('\\')) return inner;
  if (NON_JSON_ESCAPE.test(inner)) throw BAIL;
  try {
    return JSON.parse(`"${inner}"`) as string;
  } catch {
    throw BAIL;
  }
}
