// W8 (cold start of `serve --config-dir` on the generated directory, process
// start to /ready) and the directory edit (one line changed in place in a
// ~500 KB manifest file, to the last response the affected proxies receive).
// Both run the real server process with `serve`'s defaults, and the edit is
// seen by real Delta xDS clients in another process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import YAML from 'yaml';
import { Clients } from './client-process';
import { shippedEnv } from './malloc-env';
import { generateMesh, nsName, type Manifest } from './mesh';
import { ms, type Row } from './report';

/** `serve`'s default --debounce-after: the part of edit → push that is waiting on purpose. */
const DEBOUNCE_MS = 100;

/** The generated mesh grouped as writeMeshDir files it: by namespace, each Namespace in its own file. */
export function meshByNamespace(services: number): Map<string, Manifest[]> {
  const byNs = new Map<string, Manifest[]>();
  for (const o of generateMesh({ services })) {
    const ns = o.kind === 'Namespace' ? o.metadata.name : (o.metadata.namespace ?? 'cluster');
    const list = byNs.get(ns) ?? [];
    list.push(o);
    byNs.set(ns, list);
  }
  return byNs;
}

/** One namespace's file: its documents, each as YAML.stringify writes it, separated by `---`. */
export const namespaceText = (docs: readonly string[]) => docs.join('---\n');

/** Writes the mesh as a user would keep it: one file per namespace (~480 KB at 100 services each). */
export function writeMeshDir(services: number): { dir: string; bytes: number; files: number } {
  const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-w8-'));
  const byNs = meshByNamespace(services);
  let bytes = 0;
  mkdirSync(join(dir, 'namespaces'));
  for (const [ns, objs] of byNs) {
    const text = namespaceText(objs.map((o) => YAML.stringify(o)));
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, 'namespaces', `${ns}.yaml`), text);
  }
  return { dir, bytes, files: byNs.size };
}

/**
 * writeMeshDir in a process of its own. Generating 45 MB of YAML leaves this
 * process a large heap whose collection, on the other core, overlapped the
 * first measured server start (seen: 3.46 s against a median of 2.57 s).
 */
export function writeMeshDirApart(services: number): { dir: string; bytes: number; files: number } {
  const code = `process.stdout.write(JSON.stringify(require(${JSON.stringify(__filename)}).writeMeshDir(${services})))`;
  const res = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (res.status !== 0) throw new Error(`writing the mesh directory failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as { dir: string; bytes: number; files: number };
}

interface Server {
  child: ChildProcess;
  xdsPort: number;
  debugPort: number;
  /** Wall time from spawn to the first 200 from /ready. */
  readyMs: number;
  /** Resident set at ready, and its peak so far (Linux only). */
  rssMiB?: number;
  peakMiB?: number;
  cpuMs?: number;
  /** Times of its "configuration updated" log lines. */
  updates: number[];
}

function httpText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Sum and count of the server's translate-time histogram: the translation part of each applied change. */
export async function translateSeconds(port: number): Promise<{ sum: number; count: number }> {
  const m = await httpText(port, '/metrics');
  const v = (k: string) => Number(new RegExp(`^istiod_lite_translate_seconds_${k} (\\S+)$`, 'm').exec(m)?.[1] ?? NaN);
  return { sum: v('sum'), count: v('count') };
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

function procStatus(pid: number): { rssMiB?: number; peakMiB?: number; cpuMs?: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
    // utime + stime, in clock ticks (100 per second on Linux).
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(f[11]) + Number(f[12]);
    return { rssMiB: kb('VmRSS'), peakMiB: kb('VmHWM'), cpuMs: ticks * 10 };
  } catch {
    return {};
  }
}

/** Starts `istiod-lite serve --config-dir dir` with its defaults (ports aside) and waits for /ready. */
async function startServe(dir: string): Promise<Server> {
  const bin = join(__dirname, '..', '..', 'bin', 'istiod-lite.js');
  const t0 = Date.now();
  const updates: number[] = [];
  const child = spawn(process.execPath, [bin, 'serve', '--config-dir', dir, '--xds-port', '0', '--debug-port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'], // serve logs to stderr
    env: shippedEnv(),
  });
  // A benchmark that exits or throws must not leave its server running on a shared
  // machine (a SIGKILLed one still can: Node has no parent-death signal).
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const ports = await new Promise<{ xdsPort: number; debugPort: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    lines.on('line', (l) => {
      // When each change was applied (translated and in the cache), by the server's clock (same host).
      // serve's log lines carry ISO timestamps.
      if (l.includes('"configuration updated"'))
        updates.push(new Date((JSON.parse(l) as { time: string }).time).getTime());
      if (!l.includes('"serving"')) return;
      const j = JSON.parse(l) as { xdsPort: number; debugPort: number };
      resolve({ xdsPort: j.xdsPort, debugPort: j.debugPort });
    });
  });
  while ((await httpStatus(ports.debugPort, '/ready')) !== 200) await new Promise((r) => setTimeout(r, 5));
  const readyMs = Date.now() - t0;
  return { child, ...ports, readyMs, updates, ...procStatus(child.pid!) };
}

async function stopServe(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

function spread(xs: number[], unit = (n: number) => ms(n)): string {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)] ?? NaN;
  return `median ${unit(med)} (${unit(s[0] ?? NaN)}–${unit(s[s.length - 1] ?? NaN)}, n=${s.length})`;
}

/** W8: each run a fresh server process on the same generated directory. */
export async function w8(services: number, runs: number): Promise<Row[]> {
  const mesh = writeMeshDirApart(services);
  try {
    const ready: number[] = [];
    const rss: number[] = [];
    const peak: number[] = [];
    const cpu: number[] = [];
    const firstResponse: number[] = [];
    const complete: number[] = [];
    for (let i = 0; i < runs; i++) {
      // serve translates a waypoint when its first proxy connects, so what
      // ready leaves undone shows here: one Delta client (in a process of
      // its own, started before the server so its start-up is not counted)
      // connects at ready to one waypoint.
      const clients = new Clients();
      try {
        const s = await startServe(mesh.dir);
        const readyAt = Date.now();
        ready.push(s.readyMs);
        if (s.rssMiB !== undefined) rss.push(s.rssMiB);
        if (s.peakMiB !== undefined) peak.push(s.peakMiB);
        if (s.cpuMs !== undefined) cpu.push(s.cpuMs);
        const ns = nsName(0);
        const synced = clients.wait('synced');
        clients.send('start', {
          address: `127.0.0.1:${s.xdsPort}`,
          nodes: [{ id: `waypoint~10.200.0.1~waypoint-w8-0.${ns}~${ns}.svc.cluster.local`, ns, waypoint: 'waypoint' }],
        });
        complete.push(Number((await synced).at) - readyAt);
        firstResponse.push(Math.min(...(await clients.receipts()).map((r) => r.at)) - readyAt);
        await stopServe(s);
      } finally {
        clients.exit();
      }
    }
    const mib = (n: number) => `${n.toFixed(0)} MiB`;
    const size = `${services} services, ${(mesh.bytes / 1e6).toFixed(0)} MB in ${mesh.files} files`;
    return [
      {
        workload: 'W8 cold start → /ready',
        size,
        figure: spread(ready),
        floor: '—',
        ratio: '—',
        target: '≤ 3 s',
        met: Math.max(...ready) <= 3000,
        detail: { ready, cpu },
      },
      {
        workload: 'W8 ready → first response to a waypoint connecting at ready (on-demand translation)',
        size,
        figure: `${spread(firstResponse)}; all four types held ${spread(complete)}`,
        floor: '—',
        ratio: '—',
        target: '—',
        met: null,
        detail: { firstResponse, complete },
      },
      {
        workload: 'W8 CPU time to /ready',
        size,
        figure: spread(cpu),
        floor: '—',
        ratio: '—',
        target: '—',
        met: null,
      },
      {
        workload: 'W8 peak RSS at /ready',
        size,
        figure: `${spread(peak, mib)}; RSS at ready ${spread(rss, mib)}`,
        floor: '—',
        ratio: '—',
        target: '≤ 1 GiB',
        met: Math.max(...peak) <= 1024,
        detail: { rss, peak },
      },
    ];
  } finally {
    rmSync(mesh.dir, { recursive: true, force: true });
  }
}

/**
 * One line changed in place in one namespace's file (an HTTPRoute's weight),
 * timed from the write to the last response received by the proxies of that
 * namespace's waypoint; the figure is what remains past the push debounce.
 */
export async function dirEdit(services: number, proxies: number, edits: number): Promise<Row[]> {
  const mesh = writeMeshDir(services);
  const s = await startServe(mesh.dir);
  const clients = new Clients();
  try {
    const ns = nsName(0);
    const file = join(mesh.dir, 'namespaces', `${ns}.yaml`);
    const fileKB = statSync(file).size / 1024;
    const nodes = Array.from({ length: proxies }, (_, i) => ({
      id: `waypoint~10.200.0.${i}~waypoint-edit-${i}.${ns}~${ns}.svc.cluster.local`,
      ns,
      waypoint: 'waypoint',
    }));
    const synced = clients.wait('synced');
    clients.send('start', { address: `127.0.0.1:${s.xdsPort}`, nodes });
    await synced;
    await new Promise((r) => setTimeout(r, 500));
    await clients.receipts();
    const original = readFileSync(file, 'utf8');
    // The first weighted backend in the file is svc-00000's route: a one-line change to one route.
    const at = original.indexOf('weight: 90');
    if (at < 0) throw new Error('dirEdit: the weight line to edit was not found');
    const total: number[] = [];
    const applied: number[] = [];
    const before = await translateSeconds(s.debugPort);
    for (let i = 0; i < edits; i++) {
      const w = 90 - 1 - (i % 10);
      const text = `${original.slice(0, at)}${original.slice(at).replace('weight: 90', `weight: ${w}`)}`;
      const t0 = Date.now();
      writeFileSync(file, text);
      // Each proxy receives at least the changed route; wait until it is quiet.
      const last = new Map<number, number>();
      const end = Date.now() + 10_000;
      let quietSince = Date.now();
      while (Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
        const got = await clients.receipts();
        for (const r of got) last.set(r.client, Math.max(last.get(r.client) ?? 0, r.at));
        if (got.length > 0) quietSince = Date.now();
        if (last.size === proxies && Date.now() - quietSince > 300) break;
      }
      if (last.size < proxies) throw new Error(`dirEdit: only ${last.size}/${proxies} proxies got the edit`);
      total.push(Math.max(...last.values()) - t0);
      applied.push((s.updates.find((u) => u >= t0) ?? NaN) - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = await translateSeconds(s.debugPort);
    const translateMs = ((after.sum - before.sum) / Math.max(1, after.count - before.count)) * 1000;
    const past = total.map((t) => t - DEBOUNCE_MS);
    const size = `1 line in a ${fileKB.toFixed(0)} KB file of ${services} services, ${proxies} proxies`;
    return [
      {
        workload: 'dir edit → last response, past the debounce',
        size,
        figure: spread(past),
        floor: '—',
        ratio: '—',
        target: `≤ 50 ms past the ${DEBOUNCE_MS} ms debounce`,
        met: Math.max(...past) <= 50,
        detail: { totalMs: total, debounceMs: DEBOUNCE_MS },
      },
      {
        workload: 'dir edit → change applied (stage: file event, rescan, translation)',
        size,
        figure: `${spread(applied)}; of which translation ${ms(translateMs)} on average`,
        floor: '—',
        ratio: '—',
        target: '—',
        met: null,
        detail: { appliedMs: applied, translateMsMean: translateMs, changesApplied: after.count - before.count },
      },
    ];
  } finally {
    clients.exit();
    await stopServe(s);
    rmSync(mesh.dir, { recursive: true, force: true });
  }
}
