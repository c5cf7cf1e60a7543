import { readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { SourceError } from './source';

export const MANIFEST = /\.(ya?ml|json)$/i;

export interface Walk {
  /** Manifest files in path order (each directory's names sorted), with their stat. */
  files: Map<string, Stats>;
  /** Directories read, to be watched. */
  dirs: string[];
  /** Directories that could not be listed: what was known under them is kept. */
  unreadable: string[];
  /** Problems with the tree itself (unreadable directories, symlink loops). */
  errors: SourceError[];
}

const idOf = (st: Stats) => `${st.dev}:${st.ino}`;

/**
 * Lists the manifest files under `root`, following symlinks. A directory is
 * read once: one reached again through a symlink (a loop, or a second link
 * to it) is reported and not entered, by device and inode rather than by a
 * depth limit.
 */
export function walk(root: string, readdir: (dir: string) => string[] = readdirSync): Walk {
  const out: Walk = { files: new Map(), dirs: [], unreadable: [], errors: [] };
  const seen = new Map<string, string>(); // dev:ino -> the path it was read as
  const rel = (p: string) => relative(root, p) || '.';
  const visit = (dir: string, st: Stats, ancestors: Set<string>) => {
    const id = idOf(st);
    const first = seen.get(id);
    if (first !== undefined) {
      const loop = ancestors.has(id);
      out.errors.push({
        source: 'directory',
        file: rel(dir),
        message: loop
          ? `symlink loop back to ${rel(first)}; not followed`
          : `same directory as ${rel(first)}; read there only`,
      });
      return;
    }
    seen.set(id, dir);
    let names: string[];
    try {
      names = readdir(dir).sort();
    } catch (e) {
      out.unreadable.push(dir);
      out.errors.push({
        source: 'directory',
        file: rel(dir),
        message: `cannot list directory (${e instanceof Error ? e.message : String(e)}); keeping what was loaded from it`,
      });
      return;
    }
    out.dirs.push(dir);
    const inner = new Set(ancestors).add(id);
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      let s: Stats;
      try {
        s = statSync(p);
      } catch {
        continue; // a dangling symlink, or removed since listing
      }
      if (s.isDirectory()) visit(p, s, inner);
      else if (s.isFile() && MANIFEST.test(n)) out.files.set(p, s);
    }
  };
  let st: Stats;
  try {
    st = statSync(root);
  } catch (e) {
    out.unreadable.push(root);
    out.errors.push({
      source: 'directory',
      file: root,
      message: `cannot read (${e instanceof Error ? e.message : String(e)}); keeping what was loaded`,
    });
    return out;
  }
  visit(root, st, new Set());
  return out;
}

/** True when `path` lies under one of `dirs`. */
export function under(path: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => path === d || path.startsWith(d.endsWith(sep) ? d : `${d}${sep}`));
}
