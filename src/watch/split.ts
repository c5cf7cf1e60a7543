/** One YAML document of a file, as text, with where it starts. */
export interface Chunk {
  text: string;
  /** 1-based line of the chunk's first line in the file. */
  line: number;
  /** 1-based line of its first content (not a separator, comment or blank line). */
  contentLine: number;
  /** Whether a `---` line starts the document (else it is the file's first, unmarked). */
  marked: boolean;
}

// A `---` or `...` at the start of a line, followed by a blank or the end of
// the line, is a document marker wherever it appears (YAML 1.2 §9.1.2, the
// "forbidden" content): no scalar or collection may contain one. So a file
// can be cut into documents on these lines without parsing it, which lets the
// size limit apply before parsing and lets unchanged documents be reused.
const MARKER = /^(?:---|\.\.\.)(?:[ \t]|$)/;
const SKIP = /^(?:[ \t]*(?:#.*)?|%.*)$/;

/**
 * Cuts a manifest file into its documents. Each chunk keeps its own `---`
 * line (it may carry content, as in `--- !tag` or `--- |`); comments, blank
 * lines and directives before a marker stay with the document that follows.
 */
export function splitDocuments(text: string): Chunk[] {
  const out: Chunk[] = [];
  let start = 0; // offset of the current chunk
  let startLine = 1;
  let contentLine = 0; // 0: no content yet
  let marked = false;
  let pos = 0;
  let line = 1;
  const close = (end: number) => {
    if (contentLine > 0) out.push({ text: text.slice(start, end), line: startLine, contentLine, marked });
  };
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const l = text.charCodeAt(pos);
    // Only lines starting with '-' or '.' can be markers: test cheaply first.
    const marker = (l === 45 || l === 46) && MARKER.test(text.slice(pos, Math.min(eol, pos + 4)));
    if (marker) {
      const body = text.slice(pos + 3, eol).trim();
      if (contentLine > 0) {
        close(pos);
        start = pos;
        startLine = line;
        contentLine = 0;
      }
      marked = text.charCodeAt(pos) === 45;
      if (text.charCodeAt(pos) === 46) {
        // `...` ends a document; what follows starts a new chunk.
        start = eol + 1;
        startLine = line + 1;
      } else if (body !== '' && !body.startsWith('#')) {
        contentLine = line;
      }
    } else if (contentLine === 0 && !SKIP.test(text.slice(pos, eol).replace(/\r$/, ''))) {
      contentLine = line;
    }
    pos = eol + 1;
    line++;
  }
  close(text.length);
  return out;
}

/**
 * `chunk` with text of its own instead of a slice of the file's text. V8
 * keeps a slice's whole parent string alive, and a parsed document's strings
 * are slices of the text it was parsed from: a document edited and parsed
 * out of the newly read file would keep that whole file's text for as long
 * as it stands, one more copy of the file per edit to another of its
 * documents. The text was decoded from UTF-8, so it has no lone surrogate
 * and the round trip gives it back exactly.
 */
export function ownText(chunk: Chunk): Chunk {
  return { ...chunk, text: Buffer.from(chunk.text, 'utf8').toString('utf8') };
}
