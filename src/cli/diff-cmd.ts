import { applyChanges, EMPTY_WORLD, type Change, type World } from '../model';
import { describeError, type SourceError } from '../watch/source';
import type { Command } from './commands';
import { diffWorlds, type DiffReport } from './diff-compute';
import { shortValue } from './diff-fields';
import { CommandError, UsageError } from './errors';
import { oneOf, parse } from './flags';
import { findCluster, KUBE_FLAGS, KUBE_USAGE, NO_CLUSTER } from './kube-context';
import { formatMessage } from './analyze';
import { INPUT_FLAGS, INPUT_USAGE, readInputs } from './manifest-input';
import { formatted, write } from './output';
import { listCluster } from './world-loader';

// diff(1)'s and kubectl diff's exit statuses, so a hook or script can branch on them.
export const DIFF_SAME = 0;
export const DIFF_CHANGED = 1;
export const DIFF_ERROR = 2;

/** Field lines shown per resource in text output; -o json has them all. */
const MAX_FIELDS_SHOWN = 40;

const USAGE = `usage: istiod-lite diff -f FILE_OR_DIR|- [-f …] [-R] [--config-dir DIR | --kubeconfig PATH] [-o text|json|yaml]

Shows what every proxy would receive differently if the manifests were
applied (kubectl apply: each object given replaces the one of the same kind,
namespace and name): per waypoint (and for ztunnel, the workload API) the
resources added, removed and changed, with each changed field; then the
status changes of Gateways, routes and policies, the analyzer findings
the change adds or resolves, and the resources of those proxies Envoy would
refuse (serve holds them back; the proxy keeps what it last accepted) or
that the change makes acceptable.

The configuration compared with is that of --config-dir DIR (as serve
--config-dir reads it), else of the cluster kubectl would use. Both are
translated on serve's own code path; remote JWKS are not fetched, on
either side.

Exit status: 0 nothing changes, 1 something changes, 2 an error (a file
or document that cannot be used, no configuration to compare with).

flags:
${INPUT_USAGE}
  --config-dir DIR        compare with the manifests in DIR (recursive) instead of a cluster
  -o, --output FORMAT     text (default), json or yaml
${KUBE_USAGE}`;

function loadErrors(errors: readonly SourceError[], where: string): void {
  if (errors.length === 0) return;
  for (const e of errors) process.stderr.write(`error: ${describeError(e)}\n`);
  throw new CommandError(`${errors.length} document(s) in ${where} cannot be used; nothing compared`, DIFF_ERROR);
}

/** What the manifests are compared with, and whether its waypoints count as deployed. */
async function baseline(values: {
  'config-dir'?: string;
  kubeconfig?: string;
  context?: string;
}): Promise<{ world: World; assumeReady: boolean }> {
  const dir = values['config-dir'];
  if (dir !== undefined) {
    const input = readInputs([dir], true);
    loadErrors(input.errors, dir);
    // As serve --config-dir: no controller deploys the waypoints, so a valid one counts as ready.
    return { world: applyChanges(EMPTY_WORLD, input.changes).world, assumeReady: true };
  }
  const target = await findCluster(values);
  if (!target)
    throw new CommandError(
      `${NO_CLUSTER} to compare with: set KUBECONFIG, pass --kubeconfig, or compare with a directory (--config-dir DIR)`,
      DIFF_ERROR,
    );
  const changes = await listCluster(target);
  if (process.exitCode === 65)
    throw new CommandError(`objects in the cluster at ${target.server} cannot be used; nothing compared`, DIFF_ERROR);
  return { world: applyChanges(EMPTY_WORLD, changes).world, assumeReady: false };
}

function plural(n: number, what: string, many = `${what}s`): string {
  return `${n} ${n === 1 ? what : many}`;
}

/** The report as a person reads it: +/-/~ per resource, one line per changed field. */
export function diffText(r: DiffReport): string {
  const lines: string[] = [];
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const t of r.targets) {
    const head = t.what === 'waypoint' ? `waypoint ${t.target}` : `${t.target}: ${t.what}`;
    lines.push(t.waypoint ? `${head} (${t.waypoint === 'added' ? 'new waypoint' : 'waypoint goes away'})` : head);
    for (const tc of t.types) {
      lines.push(`  ${tc.type}`);
      for (const rc of tc.resources) {
        const mark = rc.change === 'added' ? '+' : rc.change === 'removed' ? '-' : '~';
        if (rc.change === 'added') added++;
        else if (rc.change === 'removed') removed++;
        else changed++;
        lines.push(`    ${mark} ${rc.name}`);
        const fields = rc.fields ?? [];
        for (const f of fields.slice(0, MAX_FIELDS_SHOWN))
          lines.push(`        ${f.path}: ${shortValue(f.before)} → ${shortValue(f.after)}`);
        if (fields.length > MAX_FIELDS_SHOWN)
          lines.push(`        … ${fields.length - MAX_FIELDS_SHOWN} more fields (-o json lists them all)`);
      }
    }
  }
  if (r.statuses.length > 0) {
    lines.push('status');
    for (const s of r.statuses) {
      lines.push(`  ~ ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`);
      for (const f of s.fields) lines.push(`      ${f.path}: ${shortValue(f.before)} → ${shortValue(f.after)}`);
    }
  }
  if (r.findings.added.length + r.findings.resolved.length > 0) {
    lines.push('analyze');
    for (const m of r.findings.added) lines.push(`  + ${formatMessage(m)}`);
    for (const m of r.findings.resolved) lines.push(`  - ${formatMessage(m)}`);
  }
  const envoy: string[] = [];
  if (r.rejected.length + r.resolved.length > 0) {
    envoy.push('envoy');
    for (const x of r.rejected) envoy.push(`  ! ${x}`);
    for (const x of r.resolved) envoy.push(`  - resolved: ${x}`);
  }
  lines.push(...envoy);
  // A refusal that stays is no change, but it is why an edit may reach no proxy.
  if (!r.changed)
    return ['no changes: every proxy would receive what it receives now', ...envoy].map((l) => `${l}\n`).join('');
  lines.push(
    '',
    `${plural(added, 'resource')} added, ${removed} removed, ${changed} changed for ${plural(r.targets.length, 'proxy target')}; ` +
      `${plural(r.statuses.length, 'status', 'statuses')} changed; ${plural(r.findings.added.length, 'new finding')}, ${r.findings.resolved.length} resolved` +
      (r.rejected.length + r.resolved.length > 0
        ? `; ${plural(r.rejected.length, 'resource')} Envoy would refuse or load with problems, ${r.resolved.length} resolved`
        : ''),
  );
  return lines.join('\n') + '\n';
}

async function runDiff(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      ...INPUT_FLAGS,
      ...KUBE_FLAGS,
      'config-dir': { type: 'string' },
      output: { type: 'string', short: 'o', default: 'text' },
    },
    false,
  );
  const files = values.filename ?? [];
  if (files.length === 0) throw new UsageError('-f FILE_OR_DIR is required');
  const format = oneOf('output', values.output, ['text', 'json', 'yaml'] as const);
  if (values['config-dir'] !== undefined && values.kubeconfig !== undefined)
    throw new UsageError('--config-dir and --kubeconfig name two configurations to compare with; give one');
  // A directory is read first, so the files may use the CRDs it defines; a
  // cluster last, so a document that cannot be used is reported before it is asked.
  let base = values['config-dir'] !== undefined ? await baseline(values) : undefined;
  const input = readInputs(files, values.recursive);
  loadErrors(input.errors, files.join(', '));
  base ??= await baseline(values);
  const changes: Change[] = input.changes;
  const report = diffWorlds(base.world, changes, { assumeReady: base.assumeReady });
  write(format === 'text' ? diffText(report) : formatted(report, format));
  process.exitCode = report.changed ? DIFF_CHANGED : DIFF_SAME;
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'show what every proxy would receive differently if manifests were applied',
  usage: USAGE,
  async run(argv) {
    try {
      await runDiff(argv);
    } catch (e) {
      // Every failure is status 2, so 1 always means "there are changes".
      if (e instanceof CommandError && e.exitCode === DIFF_ERROR) throw e;
      const hint = e instanceof UsageError ? ' (see "istiod-lite diff --help")' : '';
      throw new CommandError(`${e instanceof Error ? e.message : String(e)}${hint}`, DIFF_ERROR);
    }
  },
};
