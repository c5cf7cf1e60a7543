import { closeSync, fstatSync, openSync, readFileSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import { keyOf, type Change, type KubeObject } from '../model';
import { DEFAULT_MAX_DOCUMENT_BYTES, type ParsedFile } from './manifests';
import { applyDirectoryCrds, holdsKind } from './dir-crds';
import { addChunk, parseChunks, type ChunkResult } from './parse';
import { ProblemLog } from './problem-log';
import { describeError, type ChangeListener, type ConfigSource, type SourceError } from './source';
import { ownText, splitDocuments } from './split';
import { transitionRefusal } from './transitions';
import { MANIFEST, under, walk } from './walk';

interface FileState {
  /** Identity and version of what was read: a change to any part means read again. */
  sig: string;
  /**
   * Each document's text and what it parsed to, so unchanged documents are
   * not parsed again: a list, made a map on the file's first edit (hashing
   * every document's text at start would cost a tenth of the parse).
   */
  chunks: Map<string, ChunkResult> | [string, ChunkResult][];
  objects: Map<string, { object: KubeObject; line: number }>;
  errors: SourceError[];
  /** CustomResourceDefinitions in the file (see dir-crds.ts). */
  crds?: unknown[];
}

export interface DirectoryOptions {
  log?: Logger;
  /** Quiet time after a file event before rescanning (editors write in bursts). */
  settleMs?: number;
  maxDocumentBytes?: number;
  /** Larger files are refused without being read. */
  maxFileBytes?: number;
  /**
   * Also rescan this often, whatever the file events say (0: never). File
   * events can be lost (watch limits, network file systems, a directory
   * created between a rescan and its watch), so a slow rescan backs them up.
   */
  pollMs?: number;
  /** Stand-ins for the file system calls that can fail, to simulate failures as an unprivileged user meets them. */
  io?: { readdir?: (dir: string) => string[]; open?: (path: string) => number };
}

// Short: a rescan re-reads only changed files and re-parses only changed
// documents, and the push debounce after it still coalesces a burst, so a
// state seen mid-burst is replaced before it reaches a proxy.
const DEFAULT_SETTLE_MS = 10;
const DEFAULT_POLL_MS = 2000;
export const DEFAULT_MAX_FILE_BYTES = 128 << 20;

// Includes inode and ctime: a file replaced by rename (an editor's safe save,
// `sed -i`) may keep its size and mtime, and a chmod that makes an unreadable
// file readable changes only ctime.
const sigOf = (st: Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/** Path order of the walk (each directory's names sorted), for deciding which duplicate wins. */
function pathOrder(a: string, b: string): number {
  const x = a.split(sep);
  const y = b.split(sep);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

const NO_HOLDERS: readonly string[] = [];
const holderList = (h: string | string[] | undefined): readonly string[] =>
  h === undefined ? NO_HOLDERS : typeof h === 'string' ? [h] : h;

/**
 * Serves the manifests in a directory tree and follows edits. A bad document
 * is reported (file, line, kind, name) and skipped; an object whose document
 * turns bad keeps its last good version until a good one replaces it, and a
 * file or directory that cannot be read (or is caught mid-write) keeps what
 * was last loaded from it.
 */
export class DirectorySource implements ConfigSource {
  readonly name: string;
  synced = false;
  private readonly files = new Map<string, FileState>();
  /**
   * Which files hold each key, in path order: the first one wins. A key held
   * by one file, the rule, maps to its path alone: a one-element array per
   * key was 18 MiB at 82,000 objects.
   */
  private readonly holders = new Map<string, string | string[]>();
  private readonly effective = new Map<string, { object: KubeObject; file: string; line: number }>();
  private readonly dupErrors = new Map<string, SourceError[]>();
  private treeErrors: SourceError[] = [];
  private readonly listeners: ChangeListener[] = [];
  private readonly watchers = new Map<string, FSWatcher>();
  private watching = false;
  private watchFailed = false;
  private timer?: NodeJS.Timeout;
  /** When the latest file event before the pending rescan happened. */
  private eventAt?: number;
  /** While a rescan that file events asked for emits: the latest of those events. */
  private emittingFor?: number;
  private poller?: NodeJS.Timeout;
  /** Files named by content-change events since the last rescan. */
  private touched = new Set<string>();
  /** Whether the next rescan must walk the tree (entries added, removed or renamed; the periodic rescan). */
  private walkDue = false;
  private readonly problems: ProblemLog;

  constructor(
    readonly dir: string,
    private readonly opts: DirectoryOptions = {},
  ) {
    this.name = `directory ${dir}`;
    this.problems = new ProblemLog(opts.log);
  }

  async start(): Promise<void> {
    statSync(this.dir); // a clear ENOENT now beats a silent empty mesh
    this.watching = true;
    this.rescan();
    this.synced = true;
    const pollMs = this.opts.pollMs ?? DEFAULT_POLL_MS;
    if (pollMs > 0) {
      this.poller = setInterval(() => this.schedule(), pollMs);
      this.poller.unref();
    }
  }

  async stop(): Promise<void> {
    this.watching = false;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Objects read from elsewhere are not checked against this directory's CRDs.
    applyDirectoryCrds(this.name, new Map());
  }

  onChanges(l: ChangeListener): void {
    this.listeners.push(l);
  }

  errors(): readonly SourceError[] {
    const out = [...this.treeErrors];
    for (const f of this.files.values()) out.push(...f.errors);
    for (const e of this.dupErrors.values()) out.push(...e);
    return out;
  }

  /** Objects currently served, with where each came from. */
  objects(): { object: KubeObject; file: string; line: number }[] {
    return [...this.effective.values()];
  }

  /**
   * Rescans after the settle time: the named file only, when every event
   * since the last rescan was a content change to a known file (an edit in
   * place costs that file, not a walk of every file — ~95 ms at 16,000
   * files); the whole tree otherwise.
   */
  private schedule(changedFile?: string): void {
    if (!this.watching) return;
    if (changedFile === undefined) this.walkDue = true;
    else this.touched.add(changedFile);
    this.eventAt = Date.now();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const touched = this.touched;
      const full = this.walkDue;
      this.touched = new Set();
      this.walkDue = false;
      // The settle and the re-read happen inside the push debounce's quiet period, which counts from the event.
      this.emittingFor = this.eventAt;
      this.eventAt = undefined;
      try {
        // A tree with problems (an unreadable directory) is walked again on every event, to see them go.
        if (full || this.treeErrors.length > 0 || !this.rescanFiles(touched)) this.rescan();
      } catch (e) {
        this.opts.log?.error({ dir: this.dir, error: String(e) }, 'rescanning manifests failed');
      } finally {
        this.emittingFor = undefined;
      }
    }, this.opts.settleMs ?? DEFAULT_SETTLE_MS);
  }

  /**
   * One watch per directory, not Node's recursive watch: on Linux that one
   * watches files individually and loses a file once it is replaced by
   * rename. A directory's watch sees every entry change inside it, whatever
   * the kind of event, and each only schedules a rescan.
   */
  private updateWatchers(dirs: readonly string[]): void {
    if (!this.watching || this.watchFailed) return;
    const want = new Set(dirs);
    for (const [d, w] of this.watchers) {
      if (want.has(d)) continue;
      w.close();
      this.watchers.delete(d);
    }
    let added = false;
    for (const d of dirs) {
      if (this.watchers.has(d)) continue;
      try {
        // 'change' is a file's content or attributes; 'rename' an entry added, removed or renamed.
        const w = watch(d, { persistent: false }, (event, name) =>
          this.schedule(event === 'change' && name ? join(d, name.toString()) : undefined),
        );
        w.on('error', () => {
          w.close();
          this.watchers.delete(d);
          this.schedule();
        });
        this.watchers.set(d, w);
        added = true;
      } catch (e) {
        // Out of inotify watches, or a file system without events: the
        // periodic rescan still finds every change, later.
        this.watchFailed = true;
        this.opts.log?.warn(
          { dir: d, error: String(e), pollMs: this.opts.pollMs ?? DEFAULT_POLL_MS },
          'cannot watch manifests; relying on the periodic rescan',
        );
        return;
      }
    }
    // Files written into a new directory before its watch existed.
    if (added && this.synced) this.schedule();
  }

  /** Re-reads changed files and emits the resulting changes. */
  rescan(): void {
    const w = walk(this.dir, this.opts.io?.readdir);
    this.treeErrors = w.errors;
    this.updateWatchers(w.dirs);
    const changed: { path: string; old?: FileState }[] = [];
    for (const [p, old] of this.files) {
      // What an unreadable directory held is kept, not removed.
      if (w.files.has(p) || under(p, w.unreadable)) continue;
      this.files.delete(p);
      this.rels.delete(p);
      changed.push({ path: p, old });
    }
    let retry = false;
    for (const [p, st] of w.files) {
      const prev = this.files.get(p);
      if (prev?.sig === sigOf(st)) continue;
      const next = this.load(p, st, prev);
      if (!next) {
        retry = true;
        continue;
      }
      this.files.set(p, next);
      changed.push({ path: p, old: prev });
      // At once, so the files read after it are checked against its CRDs (a `crds/` directory sorts early).
      if (next.crds || prev?.crds) this.recheck(w.files, changed);
    }
    if (changed.some((c) => c.old?.crds && !this.files.has(c.path))) this.recheck(w.files, changed);
    this.resolve(changed);
    this.problems.report(this.errors().map(describeError));
    if (retry) this.schedule();
  }

  /**
   * Re-reads the given files, known ones whose content changed, and emits
   * the changes; false (nothing applied) when that is not enough and the
   * tree must be walked: a file not read before, gone, no longer a file, one
   * holding CustomResourceDefinitions, or one changing while read.
   */
  private rescanFiles(paths: ReadonlySet<string>): boolean {
    const loaded: { path: string; old: FileState; next: FileState }[] = [];
    for (const p of paths) {
      const name = basename(p);
      // What the walk skips (editor swap files, other files) changes nothing.
      if (name.startsWith('.') || !MANIFEST.test(name)) continue;
      const old = this.files.get(p);
      if (!old) return false;
      let st: Stats;
      try {
        st = statSync(p);
      } catch {
        return false;
      }
      if (!st.isFile()) return false;
      if (old.sig === sigOf(st)) continue;
      const next = this.load(p, st, old);
      if (!next || next.crds || old.crds) return false;
      loaded.push({ path: p, old, next });
    }
    for (const { path, next } of loaded) this.files.set(path, next);
    this.resolve(loaded.map(({ path, old }) => ({ path, old })));
    this.problems.report(this.errors().map(describeError));
    return true;
  }

  /** After the directory's CRDs changed: parses again the files holding objects of the kinds they define. */
  private recheck(stats: ReadonlyMap<string, Stats>, changed: { path: string; old?: FileState }[]): void {
    const kinds = applyDirectoryCrds(this.name, this.files, this.opts.log);
    if (kinds.size === 0) return;
    for (const [p, f] of this.files) {
      const st = stats.get(p);
      if (!st || !holdsKind(f, kinds)) continue;
      // As at load: what the new schemas refuse is not served, whatever was before.
      const next = this.load(p, st, { ...f, chunks: new Map(), objects: new Map() });
      if (!next) continue;
      this.files.set(p, next);
      changed.push({ path: p, old: f });
    }
  }

  private readonly rels = new Map<string, string>();
  private rel(path: string): string {
    let r = this.rels.get(path);
    if (r === undefined) this.rels.set(path, (r = relative(this.dir, path) || path));
    return r;
  }

  /** Reads and parses one file; undefined when it changed while being read (read it again later). */
  private load(path: string, st: Stats, prev: FileState | undefined): FileState | undefined {
    const rel = this.rel(path);
    const keep = (problem: string): FileState => {
      const n = prev?.objects.size ?? 0;
      return {
        sig: sigOf(st),
        chunks: prev?.chunks ?? new Map(),
        ...(prev?.crds ? { crds: prev.crds } : {}),
        objects: prev?.objects ?? new Map(),
        errors: [
          {
            source: 'directory',
            file: rel,
            message: n > 0 ? `${problem}; keeping the ${n} objects last loaded from it` : problem,
          },
        ],
      };
    };
    const maxFile = this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (st.size > maxFile) return keep(`file is ${st.size} bytes, more than the limit of ${maxFile}; not read`);
    let text: string;
    try {
      const fd = this.opts.io?.open ? this.opts.io.open(path) : openSync(path, 'r');
      try {
        text = readFileSync(fd, 'utf8');
        if (sigOf(fstatSync(fd)) !== sigOf(st)) return undefined;
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined; // removed or renamed since the walk
      return keep(`cannot read: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Truncated by a writer that has not written yet: removing every object
    // for that instant would push removals to proxies.
    if (text.length === 0 && prev && prev.objects.size > 0)
      return keep('file is empty (being written? delete the file to remove its objects)');

    const maxDoc = this.opts.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
    const parsed: ParsedFile = { docs: [], errors: [], invalidKeys: new Set(), unreadable: false };
    const split = splitDocuments(text);
    const known = prev && (Array.isArray(prev.chunks) ? new Map(prev.chunks) : prev.chunks);
    // Past the first read, what this read's text holds must not outlive it:
    // a document parsed again is parsed from text of its own (split.ts:
    // ownText), and an unchanged one keeps the key it had.
    const fresh = known ? split.filter((c) => !known.has(c.text)).map(ownText) : split;
    const results = parseChunks(fresh, maxDoc);
    let chunks: FileState['chunks'];
    if (known) {
      const texts = new Set(split.map((c) => c.text));
      const map = new Map<string, ChunkResult>();
      for (const [t, r] of known) if (texts.has(t)) map.set(t, r);
      fresh.forEach((c, i) => map.set(c.text, results[i] as ChunkResult));
      for (const c of split) addChunk(parsed, rel, c.line, map.get(c.text) as ChunkResult);
      chunks = map;
    } else {
      chunks = split.map((c, i) => [c.text, results[i] as ChunkResult]);
      split.forEach((c, i) => addChunk(parsed, rel, c.line, results[i] as ChunkResult));
    }
    const objects = new Map<string, { object: KubeObject; line: number }>();
    const errors = [...parsed.errors];
    for (const d of parsed.docs) {
      const key = keyOf(d.object);
      const first = objects.get(key);
      if (first) {
        errors.push({
          source: 'directory',
          file: rel,
          line: d.line,
          kind: d.object.kind,
          namespace: d.object.metadata.namespace,
          name: d.object.metadata.name,
          message: `duplicate of the document at ${rel}:${first.line}; ignored`,
        });
        continue;
      }
      const old = prev?.objects.get(key);
      // Keep the previous object when its content is unchanged, so a document
      // whose text changed only in comments or layout is not a change.
      const same = old && (old.object === d.object || JSON.stringify(old.object) === JSON.stringify(d.object));
      const moved = old && !same ? transitionRefusal(rel, d, old.object) : undefined;
      if (moved && old) {
        errors.push(moved);
        objects.set(key, old);
        continue;
      }
      objects.set(key, same ? { object: old.object, line: d.line } : d);
    }
    for (const [key, old] of prev?.objects ?? []) {
      if (objects.has(key)) continue;
      if (parsed.invalidKeys.has(key) || parsed.unreadable) objects.set(key, old);
    }
    return { sig: sigOf(st), chunks, objects, errors, ...(parsed.crds ? { crds: parsed.crds } : {}) };
  }

  /** Recomputes the served object of every key the changed files held or hold, and emits the difference. */
  private resolve(changed: { path: string; old?: FileState }[]): void {
    const affected = new Set<string>();
    for (const { path, old } of changed) {
      const now = this.files.get(path)?.objects;
      for (const key of old?.objects.keys() ?? []) {
        if (now?.has(key)) continue;
        affected.add(key);
        const hs = holderList(this.holders.get(key)).filter((h) => h !== path);
        if (hs.length > 1) this.holders.set(key, hs);
        else if (hs.length === 1) this.holders.set(key, hs[0] as string);
        else this.holders.delete(key);
      }
      for (const key of now?.keys() ?? []) {
        affected.add(key);
        const h = this.holders.get(key);
        if (h === undefined) this.holders.set(key, path);
        else if (h !== path && !(Array.isArray(h) && h.includes(path)))
          this.holders.set(key, [...holderList(h), path].sort(pathOrder));
      }
    }
    const changes: Change[] = [];
    for (const key of affected) {
      const hs = holderList(this.holders.get(key));
      const current = this.effective.get(key);
      const [winner, ...losers] = hs;
      const held = winner === undefined ? undefined : this.files.get(winner)?.objects.get(key);
      if (winner === undefined || !held) {
        this.dupErrors.delete(key);
        if (!current) continue;
        this.effective.delete(key);
        const m = current.object.metadata;
        changes.push({ op: 'delete', kind: current.object.kind, namespace: m.namespace, name: m.name });
        continue;
      }
      if (current?.object !== held.object) changes.push({ op: 'upsert', object: held.object });
      const file = this.rel(winner);
      this.effective.set(key, { object: held.object, file, line: held.line });
      if (losers.length === 0) {
        this.dupErrors.delete(key);
        continue;
      }
      this.dupErrors.set(
        key,
        losers.flatMap((p) => {
          const o = this.files.get(p)?.objects.get(key);
          if (!o) return [];
          const m = o.object.metadata;
          const e: SourceError = {
            source: 'directory',
            file: this.rel(p),
            line: o.line,
            kind: o.object.kind,
            namespace: m.namespace,
            name: m.name,
            message: `same object as ${file}:${held.line}; ignored`,
          };
          return [e];
        }),
      );
    }
    if (changes.length > 0) for (const l of this.listeners) l(changes, this.emittingFor);
  }
}
