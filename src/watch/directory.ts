import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { keyOf, type Change, type KubeObject } from '../model';
import { DEFAULT_MAX_DOCUMENT_BYTES } from './manifests';
import { parseManifestFile } from './parse';
import { describeError, type ChangeListener, type ConfigSource, type SourceError } from './source';

interface FileState {
  mtimeMs: number;
  size: number;
  objects: Map<string, { object: KubeObject; line: number }>;
  errors: SourceError[];
}

const MANIFEST = /\.(ya?ml|json)$/i;

export interface DirectoryOptions {
  log?: Logger;
  /** Quiet time after a file event before rescanning (editors write in bursts). */
  settleMs?: number;
  maxDocumentBytes?: number;
  /**
   * Also rescan this often (0: only on file events). Useful where file events
   * are unreliable (network file systems); used anyway when watching fails.
   */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 1000;

/**
 * Serves the manifests in a directory tree and follows edits. A bad document
 * is reported (file, line, kind, name) and skipped; an object whose document
 * turns bad keeps its last good version until a good one replaces it.
 */
export class DirectorySource implements ConfigSource {
  readonly name: string;
  synced = false;
  private readonly files = new Map<string, FileState>();
  private effective = new Map<string, { object: KubeObject; file: string; line: number }>();
  private dupErrors: SourceError[] = [];
  private readonly listeners: ChangeListener[] = [];
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;

  constructor(
    readonly dir: string,
    private readonly opts: DirectoryOptions = {},
  ) {
    this.name = `directory ${dir}`;
  }

  async start(): Promise<void> {
    statSync(this.dir); // a clear ENOENT now beats a silent empty mesh
    this.rescan();
    this.synced = true;
    let pollMs = this.opts.pollMs ?? 0;
    try {
      // Any event only schedules a full rescan (a cheap stat walk), so events
      // lost while a new subdirectory's watch is being set up do not matter.
      this.watcher = watch(this.dir, { recursive: true }, () => this.schedule());
      this.watcher.on('error', (e) =>
        this.opts.log?.warn({ dir: this.dir, error: String(e) }, 'watching manifests failed'),
      );
    } catch (e) {
      // Platforms or file systems without recursive watch: poll instead.
      pollMs ||= DEFAULT_POLL_MS;
      this.opts.log?.warn({ dir: this.dir, error: String(e), pollMs }, 'cannot watch manifests; polling');
    }
    if (pollMs > 0) {
      this.poller = setInterval(() => this.schedule(), pollMs);
      this.poller.unref();
    }
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poller) clearInterval(this.poller);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  onChanges(l: ChangeListener): void {
    this.listeners.push(l);
  }

  errors(): readonly SourceError[] {
    return [...[...this.files.values()].flatMap((f) => f.errors), ...this.dupErrors];
  }

  /** Objects currently served, with where each came from. */
  objects(): { object: KubeObject; file: string; line: number }[] {
    return [...this.effective.values()];
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.rescan();
      } catch (e) {
        this.opts.log?.error({ dir: this.dir, error: String(e) }, 'rescanning manifests failed');
      }
    }, this.opts.settleMs ?? 50);
  }

  private walk(dir: string): string[] {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) out.push(...this.walk(p));
      else if (MANIFEST.test(n)) out.push(p);
    }
    return out;
  }

  /** Re-reads changed files and emits the resulting changes. */
  rescan(): void {
    const paths = this.walk(this.dir);
    const seen = new Set(paths);
    for (const p of [...this.files.keys()]) if (!seen.has(p)) this.files.delete(p);
    for (const p of paths) {
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      const prev = this.files.get(p);
      if (prev && prev.mtimeMs === st.mtimeMs && prev.size === st.size) continue;
      this.files.set(p, this.load(p, st.mtimeMs, st.size, prev));
    }
    this.resolve(paths);
  }

  private load(path: string, mtimeMs: number, size: number, prev: FileState | undefined): FileState {
    const rel = relative(this.dir, path) || path;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      return {
        mtimeMs,
        size,
        objects: prev?.objects ?? new Map(),
        errors: [{ source: 'directory', file: rel, message: `cannot read: ${String(e)}` }],
      };
    }
    const parsed = parseManifestFile(rel, text, this.opts.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES);
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
      // Keep the previous object when its content is unchanged, so unchanged
      // documents in an edited file do not count as changes.
      objects.set(key, old && JSON.stringify(old.object) === JSON.stringify(d.object) ? { ...old, line: d.line } : d);
    }
    for (const [key, old] of prev?.objects ?? []) {
      if (objects.has(key)) continue;
      if (parsed.invalidKeys.has(key) || parsed.unreadable) objects.set(key, old);
    }
    for (const e of errors) this.opts.log?.warn({ error: describeError(e) }, 'skipping bad manifest');
    return { mtimeMs, size, objects, errors };
  }

  private resolve(paths: string[]): void {
    const next = new Map<string, { object: KubeObject; file: string; line: number }>();
    const dups: SourceError[] = [];
    for (const p of paths) {
      const st = this.files.get(p);
      if (!st) continue;
      const rel = relative(this.dir, p) || p;
      for (const [key, { object, line }] of st.objects) {
        const winner = next.get(key);
        if (winner) {
          const m = object.metadata;
          dups.push({
            source: 'directory',
            file: rel,
            line,
            kind: object.kind,
            namespace: m.namespace,
            name: m.name,
            message: `same object as ${winner.file}:${winner.line}; ignored`,
          });
          continue;
        }
        next.set(key, { object, file: rel, line });
      }
    }
    for (const e of dups) this.opts.log?.warn({ error: describeError(e) }, 'duplicate manifest');
    this.dupErrors = dups;
    const changes: Change[] = [];
    for (const [key, v] of next)
      if (this.effective.get(key)?.object !== v.object) changes.push({ op: 'upsert', object: v.object });
    for (const [key, v] of this.effective) {
      if (!next.has(key))
        changes.push({
          op: 'delete',
          kind: v.object.kind,
          namespace: v.object.metadata.namespace,
          name: v.object.metadata.name,
        });
    }
    this.effective = next;
    if (changes.length > 0) for (const l of this.listeners) l(changes);
  }
}
