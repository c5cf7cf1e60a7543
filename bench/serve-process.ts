// `istiod-lite serve --config-dir` as a process of its own, started the way
// it ships: bin/istiod-lite.js under the image's environment (malloc-env.ts),
// no --expose-gc, serve's defaults apart from ports (and, for the TLS port,
// the certificate files). The benchmark only reads it from outside: its logs,
// /ready, /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BenchPki } from './certs';
import { shippedEnv } from './malloc-env';

export interface ServeProcess {
  child: ChildProcess;
  xdsPort?: number;
  xdsTlsPort?: number;
  debugPort: number;
  /** Wall time from spawn to the first 200 from /ready. */
  readyMs: number;
  /** Times (server clock, same host) of its "configuration updated" log lines. */
  updates: number[];
  /** Log lines at warn or above. */
  warnings: string[];
  stop(): Promise<void>;
}

export interface ProcStat {
  rssMiB: number;
  peakMiB: number;
  cpuMs: number;
}

/** Resident set, its peak, and CPU time so far (Linux /proc). */
export function procStat(pid: number): ProcStat {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
  // utime + stime, in clock ticks (100 per second on Linux).
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssMiB: kb('VmRSS'), peakMiB: kb('VmHWM'), cpuMs: (Number(f[11]) + Number(f[12])) * 10 };
}

export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** pino's numeric levels, or the label serve's logger writes. */
function isWarning(level: number | string | undefined): boolean {
  return typeof level === 'number' ? level >= 40 : ['warn', 'error', 'fatal'].includes(String(level));
}

export async function startServeProcess(dir: string, pki?: BenchPki, extra: string[] = []): Promise<ServeProcess> {
  const bin = join(__dirname, '..', '..', 'bin', 'istiod-lite.js');
  const args = ['serve', '--config-dir', dir, '--debug-port', '0', ...extra];
  if (pki)
    args.push(
      '--xds-port',
      'off',
      '--listen-address',
      '127.0.0.1',
      '--xds-tls-port',
      '0',
      '--tls-cert-file',
      pki.serverCert,
      '--tls-key-file',
      pki.serverKey,
      '--tls-ca-file',
      pki.caFile,
    );
  else args.push('--xds-port', '0');
  const t0 = Date.now();
  const updates: number[] = [];
  const warnings: string[] = [];
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: shippedEnv() });
  // A benchmark that exits or throws must not leave its server running on a
  // shared machine (a SIGKILLed one still can: Node has no parent-death signal).
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const ports = await new Promise<{ xdsPort?: number; xdsTlsPort?: number; debugPort: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${warnings.slice(-3).join(' | ')}`)));
    lines.on('line', (l) => {
      let j: {
        level?: number | string;
        msg?: string;
        time?: string | number;
        xdsPort?: number;
        xdsTlsPort?: number;
        debugPort?: number;
      };
      try {
        j = JSON.parse(l) as typeof j;
      } catch {
        warnings.push(l);
        return;
      }
      // serve logs ISO timestamps.
      if (j.msg === 'configuration updated' && j.time !== undefined) updates.push(new Date(j.time).getTime());
      if (isWarning(j.level) && warnings.length < 50) warnings.push(l);
      if (j.msg === 'serving') resolve({ xdsPort: j.xdsPort, xdsTlsPort: j.xdsTlsPort, debugPort: j.debugPort ?? 0 });
    });
  });
  while ((await httpGet(ports.debugPort, '/ready')).status !== 200) await new Promise((r) => setTimeout(r, 5));
  const readyMs = Date.now() - t0;
  return {
    child,
    ...ports,
    readyMs,
    updates,
    warnings,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
