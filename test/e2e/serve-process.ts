import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const PROJECT_ROOT = join(__dirname, '..', '..', '..');
export const CLI = join(PROJECT_ROOT, 'bin', 'istiod-lite.js');

export interface Served {
  proc: ChildProcess;
  xdsPort: number;
  debugPort: number;
  logs: Record<string, unknown>[];
  stop(): Promise<number | null>;
}

/**
 * Starts `istiod-lite serve` as a child process and waits for its ports.
 * The plaintext port is a free one unless `args` say otherwise; with
 * `{ defaultPlaintext: true }` serve decides, as it would for a user.
 */
export async function startServe(
  args: string[],
  timeoutMs = 20_000,
  opts: { defaultPlaintext?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Served> {
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--listen-address',
      '127.0.0.1',
      ...(opts.defaultPlaintext ? [] : ['--xds-port', '0']),
      '--debug-port',
      '0',
      '--log-level',
      'debug',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    },
  );
  const logs: Record<string, unknown>[] = [];
  let buf = '';
  let stderrText = '';
  const ready = new Promise<{ xdsPort: number; debugPort: number }>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`serve did not start within ${timeoutMs} ms: ${stderrText.slice(-2000)}`)),
      timeoutMs,
    );
    proc.stderr!.on('data', (d: Buffer) => {
      stderrText += d.toString();
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const j = JSON.parse(line) as Record<string, unknown>;
          logs.push(j);
          if (j.msg === 'serving') {
            clearTimeout(t);
            resolve({ xdsPort: Number(j.xdsPort), debugPort: Number(j.debugPort) });
          }
        } catch {
          // not a log line
        }
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`serve exited with ${code}: ${stderrText.slice(-2000)}`));
    });
  });
  const ports = await ready;
  return {
    proc,
    ...ports,
    logs,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        // A server that does not stop on SIGTERM fails its test, not the whole run.
        const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  timeoutMs = 20_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
