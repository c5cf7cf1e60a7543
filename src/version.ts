import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The release this build is, as `package.json` states it: the one version the
 * CLI prints, the image is labelled with (the Dockerfile reads the same file)
 * and `istio_build` reports. Read at run time so a build never disagrees with
 * the package it ships in; compiled code lives in `dist/src/`, two levels below it.
 */
export const VERSION: string = readVersion();

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
      return pkg.version;
    }
  } catch {
    // A copy without its package.json (say, a bundler's output) still runs.
  }
  return 'unknown';
}
