import { DebugTypeUrl, decodeMessage } from '../envoy';
import { VERSION } from '../version';
import type { Command } from './commands';
import { oneOf, parse, parseDuration } from './flags';
import { formatted, write } from './output';
import { dialOf, queryXds, XDS_DIAL_FLAGS, XDS_DIAL_USAGE } from './xds-query';

/** This build's version: the one src/version.ts reads from the package it ships in. */
export const CLIENT_VERSION = VERSION;

const USAGE = `usage: istiod-lite version [--remote=false] [--short] [--xds-address HOST:PORT] [-o json|yaml]

Prints this client's version and, when the control plane answers at
--xds-address, its replica's version and the versions its proxies report
(istioctl version). A control plane that cannot be reached is reported on
stderr; the client version is still printed and the exit status is 0.

flags:
  --remote=false          the client's version only
  --short                 the version numbers only
  --xds-address HOST:PORT (default localhost:15010)
  --timeout DUR           how long to wait for the control plane (Go duration, default 3s)
  -o, --output FORMAT     json or yaml
${XDS_DIAL_USAGE}`;

interface Remote {
  controlPlane: { id: string; version: string };
  dataPlane: Record<string, number>;
}

async function remoteVersions(
  values: Record<string, string | boolean | undefined>,
  timeoutMs: number,
): Promise<Remote> {
  const res = await queryXds(
    String(values['xds-address']),
    DebugTypeUrl.Syncz,
    timeoutMs,
    [],
    dialOf(values as Parameters<typeof dialOf>[0]),
  );
  let id = '';
  let version = 'unknown';
  try {
    const cp = JSON.parse(res.control_plane?.identifier ?? '') as { ID?: string; Info?: { version?: string } };
    id = cp.ID ?? '';
    version = cp.Info?.version ?? 'unknown';
  } catch {
    id = res.control_plane?.identifier ?? '';
  }
  const dataPlane: Record<string, number> = {};
  for (const a of res.resources) {
    const cfg = decodeMessage('envoy.service.status.v3.ClientConfig', a.value);
    const v = cfg.node?.metadata?.fields?.ISTIO_VERSION;
    const key = v?.kind === 'stringValue' && v.stringValue ? v.stringValue : 'unknown';
    dataPlane[key] = (dataPlane[key] ?? 0) + 1;
  }
  return { controlPlane: { id, version }, dataPlane };
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the client version and, when reachable, the control plane and proxy versions',
  usage: USAGE,
  async run(argv) {
    // cobra's --remote=false; node:util takes booleans without values.
    const args = argv.map((a) => (a === '--remote=false' ? '--no-remote' : a === '--remote=true' ? '--remote' : a));
    const { values } = parse(
      args,
      {
        remote: { type: 'boolean' },
        'no-remote': { type: 'boolean' },
        short: { type: 'boolean' },
        'xds-address': { type: 'string', default: 'localhost:15010' },
        timeout: { type: 'string', default: '3s' },
        output: { type: 'string', short: 'o' },
        ...XDS_DIAL_FLAGS,
      },
      false,
    );
    const format = values.output === undefined ? undefined : oneOf('output', values.output, ['json', 'yaml'] as const);
    const timeoutMs = parseDuration('timeout', values.timeout);
    let remote: Remote | undefined;
    if (!values['no-remote']) {
      try {
        remote = await remoteVersions(values, timeoutMs);
      } catch (e) {
        process.stderr.write(`warning: no control plane version: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    if (format) {
      write(
        formatted({ clientVersion: { version: CLIENT_VERSION }, ...(remote ? { meshVersion: remote } : {}) }, format),
      );
      return;
    }
    const lines = [values.short ? CLIENT_VERSION : `client version: ${CLIENT_VERSION}`];
    if (remote) {
      lines.push(values.short ? remote.controlPlane.version : `control plane version: ${remote.controlPlane.version}`);
      const dp = Object.entries(remote.dataPlane)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([v, n]) => `${v} (${n} ${n === 1 ? 'proxy' : 'proxies'})`);
      if (dp.length > 0) lines.push(values.short ? dp.join(', ') : `data plane version: ${dp.join(', ')}`);
    }
    write(lines.join('\n') + '\n');
  },
};
