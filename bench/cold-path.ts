// Stage figures of the cold path of `serve --config-dir` apart from
// translation: module loading, the directory source's first scan (walk, read,
// split, YAML parse, validation), the first World, the ambient index and the
// object statuses. Each run is a fresh process under the shipped runtime
// settings (src/server/runtime-env.ts; `serve` passes V8 no flags of its own).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeMeshDir } from './dir-bench';
import { shippedEnv } from './malloc-env';
import type { Row } from './report';
import { fmtSpread, load, mibUnit, msUnit } from './stats';

interface StageFigures {
  wallMs: number;
  cpuMs: number;
  mainCpuMs: number;
  gcMs: number;
  rssMiB: number;
}
interface ChildReport {
  stages: Record<string, StageFigures>;
  total: { wallMs: number; cpuMs: number; mainCpuMs: number; gcMs: number };
  peakMiB: number;
  objects: number;
  statuses: number;
  errors: number;
}

const STAGES = ['boot', 'modules', 'directory', 'flush', 'ambient', 'statuses'] as const;

/** One fresh process on `dir`; `execArgv` adds V8 flags, to compare settings `serve` does not use. */
export function coldPathOnce(dir: string, execArgv: readonly string[] = []): ChildReport {
  const child = join(__dirname, 'cold-path-child.js');
  const res = spawnSync(process.execPath, [...execArgv, child, dir], {
    env: shippedEnv(),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) throw new Error(`cold-path child failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as ChildReport;
}

export function coldPath(services: number, runs: number, execArgv?: readonly string[]): Row[] {
  const mesh = writeMeshDir(services);
  try {
    const reports: ChildReport[] = [];
    const loads: number[] = [];
    for (let i = 0; i < runs; i++) {
      loads.push(load());
      reports.push(coldPathOnce(mesh.dir, execArgv));
    }
    const size = `${services} services, ${(mesh.bytes / 1e6).toFixed(0)} MB in ${mesh.files} files`;
    const row = (stage: string, pick: (r: ChildReport) => StageFigures | ChildReport['total']): Row => ({
      workload: `cold path stage: ${stage}`,
      size,
      figure: `wall ${fmtSpread(
        reports.map((r) => pick(r).wallMs),
        msUnit,
      )}; CPU ${fmtSpread(
        reports.map((r) => pick(r).cpuMs),
        msUnit,
      )}, of it main thread ${fmtSpread(
        reports.map((r) => pick(r).mainCpuMs),
        msUnit,
      )}; GC ${fmtSpread(
        reports.map((r) => pick(r).gcMs),
        msUnit,
      )}`,
      floor: '—',
      ratio: '—',
      target: '—',
      met: null,
      load: loads,
    });
    return [
      ...STAGES.map((s) => row(s, (r) => r.stages[s]!)),
      {
        ...row('total (stage sum)', (r) => r.total),
        figure: `${row('', (r) => r.total).figure}; RSS after statuses ${fmtSpread(
          reports.map((r) => r.stages.statuses!.rssMiB),
          mibUnit,
        )}, peak ${fmtSpread(
          reports.map((r) => r.peakMiB),
          mibUnit,
        )}`,
        detail: { reports, execArgv: execArgv ?? [] },
      },
    ];
  } finally {
    rmSync(mesh.dir, { recursive: true, force: true });
  }
}
