// The process settings `serve` runs under wherever it is started: the image
// (Dockerfile ENV), `npm start` and `bin/istiod-lite.js` alone. glibc reads
// its malloc settings only when a process starts, so the launcher starts
// `serve` once more with them when they are missing (see bin/istiod-lite.js).
//
// grpc-js copies every response into a frame buffer of its own, freed only
// when V8 next collects it. Below glibc's mmap threshold those buffers come
// from the main heap, whose high-water mark after a burst of first syncs stays
// resident; glibc's default threshold also rises to the largest buffer freed,
// so after the first large response nearly every frame lands there. A fixed
// 32 KiB threshold maps each larger frame on its own and returns it to the
// kernel when it is freed.

export const SHIPPED_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '32768' };

/** Set in the re-started `serve`: the launcher's pid, so an orphaned server stops. */
export const LAUNCHER_PID_ENV = 'ISTIOD_LITE_LAUNCHER_PID';

/** Whether this process should start itself again under the shipped settings. */
export function needsMallocRestart(argv: readonly string[], env: NodeJS.ProcessEnv, platform: string): boolean {
  if (argv[0] !== 'serve' || platform !== 'linux') return false;
  if (env[LAUNCHER_PID_ENV]) return false;
  // A setting the user chose (or the image's) stands.
  return Object.keys(SHIPPED_MALLOC_ENV).some((k) => env[k] === undefined);
}

/** The environment of the re-started server: the caller's, plus any shipped setting it lacks. */
export function restartEnv(env: NodeJS.ProcessEnv, launcherPid: number): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, [LAUNCHER_PID_ENV]: String(launcherPid) };
  for (const [k, v] of Object.entries(SHIPPED_MALLOC_ENV)) out[k] ??= v;
  return out;
}
