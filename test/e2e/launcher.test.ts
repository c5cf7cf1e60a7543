// bin/istiod-lite.js starts `serve` under the malloc settings the image ships
// (glibc reads them only at start): a user running the launcher directly
// gets the server the benchmarks measure, and stopping or killing the
// launcher stops the server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, PROJECT_ROOT } from './serve-process';
import { SHIPPED_MALLOC_ENV } from '../../src/server/runtime-env';
import { until } from '../support/until';

const linux = process.platform === 'linux';

/** Pids whose parent is `ppid`, from /proc. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // The command may hold spaces and parentheses: fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The launcher on the bundled example, without the malloc settings in its environment. */
async function launch() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MALLOC_')) delete env[k];
  const proc = spawn(
    process.execPath,
    [CLI, 'serve', '--config-dir', join(PROJECT_ROOT, 'examples', 'bookinfo'), '--listen-address', '127.0.0.1'].concat([
      '--xds-port',
      '0',
      '--debug-port',
      '0',
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  let logs = '';
  proc.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await until(() => /"msg":"serving"/.test(logs), 'serve to report serving', 60_000);
  const [server] = childrenOf(proc.pid!);
  assert.ok(server, 'the launcher started the server as its child');
  return { proc, server, exited, logs: () => logs };
}

describe('the launcher', { skip: linux ? false : 'reads /proc' }, () => {
  it('runs serve under the shipped malloc settings and stops it on SIGTERM', async () => {
    const { proc, server, exited } = await launch();
    const env = environOf(server);
    for (const [k, v] of Object.entries(SHIPPED_MALLOC_ENV)) assert.equal(env[k], v, `server has ${k}=${v}`);
    proc.kill('SIGTERM');
    const end = await exited;
    assert.equal(end.code, 0, 'the launcher ends as the server does: a clean stop');
    await until(() => !alive(server), 'the server is gone', 10_000);
  });

  it('stops the server when the launcher is killed outright', async () => {
    const { proc, server, exited } = await launch();
    proc.kill('SIGKILL');
    await exited;
    await until(() => !alive(server), 'an orphaned server stops', 10_000);
  });

  it('keeps a malloc setting the user chose', async () => {
    const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' };
    const proc = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--config-dir',
        join(PROJECT_ROOT, 'examples', 'bookinfo'),
        '--xds-port',
        '0',
        '--debug-port',
        '0',
        '--listen-address',
        '127.0.0.1',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      },
    );
    let logs = '';
    proc.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    try {
      await until(() => /"msg":"serving"/.test(logs), 'serve to report serving', 60_000);
      assert.deepEqual(childrenOf(proc.pid!), [], 'no second process: the setting is the user’s');
      assert.equal(environOf(proc.pid!).MALLOC_MMAP_THRESHOLD_, '65536');
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });
});
