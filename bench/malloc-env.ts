// The glibc malloc settings the shipped server runs under (src/server/runtime-env.ts),
// which the benchmarks run the server under too unless told --default-malloc.
import { spawnSync } from 'node:child_process';
import { SHIPPED_MALLOC_ENV } from '../src/server/runtime-env';

export { SHIPPED_MALLOC_ENV };

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
