// The glibc malloc settings the image ships with (Dockerfile), which the
// benchmarks run the server under unless told --default-malloc.
//
// grpc-js copies every response into a frame buffer of its own, freed only
// when V8 next collects it. Below glibc's mmap threshold those buffers come
// from the main heap, and the heap's high-water mark after a burst of first
// syncs stays resident; the default threshold also rises to the largest
// buffer freed, so after the first large response nearly every frame lands
// there. A fixed threshold of 32 KiB maps each frame of that size or more on
// its own and returns it to the kernel when it is freed.
import { spawnSync } from 'node:child_process';

export const SHIPPED_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '32768' };

/**
 * Unless the process already runs with the shipped settings (or
 * `--default-malloc` asks for glibc's defaults), runs this same command again
 * with them and exits with its status. glibc reads them only at start-up.
 */
export function reexecWithShippedMalloc(): void {
  if (process.argv.includes('--default-malloc')) return;
  if (Object.entries(SHIPPED_MALLOC_ENV).every(([k, v]) => process.env[k] === v)) return;
  const res = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...SHIPPED_MALLOC_ENV },
  });
  process.exit(res.status ?? 1);
}

/**
 * The environment a server or measured child runs under: the image's
 * (NODE_ENV=production and its malloc settings, unless `--default-malloc`),
 * with no NODE_OPTIONS flags of the benchmark's own (no --expose-gc).
 */
export function shippedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('MALLOC_')) delete env[k];
  if (!process.argv.includes('--default-malloc')) Object.assign(env, SHIPPED_MALLOC_ENV);
  return env;
}
