import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Change } from '../model';
import { parseTexts, type ManifestText } from '../watch/load';
import type { SourceError } from '../watch/source';
import { walk } from '../watch/walk';
import { CommandError } from './errors';

/** `-f` and `-R`, as kubectl and istioctl spell them. */
export const INPUT_FLAGS = {
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
} as const;

export const INPUT_USAGE = `  -f, --filename PATH     manifests: a file, a directory (its .yaml/.yml/.json files),
                          or - for standard input; repeatable
  -R, --recursive         read the directories given with -f recursively`;

/** The files a path names: itself, or a directory's manifests (its subdirectories only with -R). */
function filesOf(path: string, recursive: boolean): { files: string[]; errors: SourceError[] } {
  let dir = false;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    throw new CommandError(`${path}: no such file or directory`);
  }
  if (!dir) return { files: [path], errors: [] };
  const w = walk(path);
  const files = [...w.files.keys()].filter((f) => recursive || dirname(f) === path.replace(/\/+$/, ''));
  return { files, errors: w.errors };
}

/**
 * Reads the manifests named by -f (kubectl's rules: `-` is standard input,
 * a directory is read one level deep unless -R) as upserts, in order. A
 * document that cannot be used is an error naming its file and line; the
 * rest are still read. An object given twice is used once, from where it
 * first appears.
 */
export function readInputs(paths: readonly string[], recursive = false): { changes: Change[]; errors: SourceError[] } {
  const errors: SourceError[] = [];
  const all: ManifestText[] = [];
  let stdinRead = false;
  for (const p of paths) {
    if (p === '-') {
      if (stdinRead) throw new CommandError('-f -: standard input can be read only once');
      stdinRead = true;
      all.push({ file: '<stdin>', text: readFileSync(0, 'utf8') });
    } else {
      const found = filesOf(p, recursive);
      errors.push(...found.errors);
      for (const f of found.files) {
        try {
          all.push({ file: f, text: readFileSync(f, 'utf8') });
        } catch (e) {
          throw new CommandError(`${f}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
  const parsed = parseTexts(all);
  return { changes: parsed.changes, errors: [...errors, ...parsed.errors] };
}
