// `diff` as a pre-commit hook runs it: one HTTPRoute edited, compared with the
// generated mesh kept as a directory (--config-dir), the CLI process end to
// end, and in this process the stages (reading the directory, the diff).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { diffWorlds } from '../src/cli/diff-compute';
import { readInputs } from '../src/cli/manifest-input';
import { applyChanges, EMPTY_WORLD } from '../src/model';
import { parseTexts } from '../src/watch/load';
import { writeMeshDir } from './dir-bench';
import { generateMesh, svcName } from './mesh';
import { ms, timeIt, type Row } from './report';

const CLI = join(__dirname, '..', '..', 'bin', 'istiod-lite.js');

/** The first service's HTTPRoute with its 90/10 split moved to 70/30. */
function editedRoute(services: number): string {
  const route = generateMesh({ services }).find((o) => o.kind === 'HTTPRoute' && o.metadata.name === svcName(0));
  if (!route) throw new Error('the mesh has no HTTPRoute for the first service');
  const text = YAML.stringify(route);
  const edited = text.replace('weight: 90', 'weight: 70').replace('weight: 10', 'weight: 30');
  if (edited === text) throw new Error('the generated HTTPRoute has no 90/10 split');
  return edited;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `fn`'s wall and CPU (user + system) milliseconds in this process. */
function timed<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t = timeIt(fn);
  const used = process.cpuUsage(cpu);
  return { ...t, cpuMs: (used.user + used.system) / 1000 };
}

// GNU time reports the child's CPU, which a loaded machine inflates far less than its wall time.
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export function diffBench(services: number, runs: number): Row[] {
  const mesh = writeMeshDir(services);
  const change = join(mesh.dir, 'change.yaml');
  try {
    writeFileSync(change, editedRoute(services));
    const wall: number[] = [];
    const cpu: number[] = [];
    let targets = '';
    const args = [CLI, 'diff', '-f', change, '--config-dir', join(mesh.dir, 'namespaces'), '-o', 'json'];
    for (let i = 0; i < runs; i++) {
      const t = timeIt(() =>
        GNU_TIME
          ? spawnSync(GNU_TIME, ['-f', 'cpu %U %S', process.execPath, ...args], {
              encoding: 'utf8',
              maxBuffer: 64 << 20,
            })
          : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 }),
      );
      if (t.value.status !== 1) throw new Error(`diff exited ${t.value.status}: ${t.value.stderr.slice(-2000)}`);
      const doc = JSON.parse(t.value.stdout) as { targets: { target: string }[] };
      targets = doc.targets.map((x) => x.target).join(', ');
      wall.push(t.ms);
      const m = /^cpu ([\d.]+) ([\d.]+)$/m.exec(t.value.stderr);
      if (m) cpu.push((Number(m[1]) + Number(m[2])) * 1000);
    }
    const read = timed(() => readInputs([join(mesh.dir, 'namespaces')], true));
    const world = applyChanges(EMPTY_WORLD, read.value.changes).world;
    const changes = parseTexts([{ file: change, text: editedRoute(services) }]).changes;
    const diff = timed(() => diffWorlds(world, changes, { assumeReady: true }));
    const load = loadavg()[0]!.toFixed(1);
    return [
      {
        workload: 'diff -f (one HTTPRoute edited) --config-dir, CLI end to end',
        size: `${services} services, ${mesh.files} files, ${(mesh.bytes / 1e6).toFixed(1)} MB`,
        figure:
          `wall median ${ms(median(wall))}, max ${ms(Math.max(...wall))}` +
          (cpu.length ? `; CPU median ${ms(median(cpu))}` : '') +
          ` over ${runs} (load ${load}); targets: ${targets}`,
        floor: `in process: read+parse ${ms(read.ms)} (CPU ${ms(read.cpuMs)}), diff ${ms(diff.ms)} (CPU ${ms(diff.cpuMs)})`,
        ratio: '—',
        target: '≤ 10 s CPU (a pre-commit hook)',
        met: cpu.length ? median(cpu) <= 10_000 : median(wall) <= 10_000,
      },
    ];
  } finally {
    rmSync(mesh.dir, { recursive: true, force: true });
  }
}
