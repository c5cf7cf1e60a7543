import YAML from 'yaml';
import { TRAFFIC_TYPES } from '../model';
import type { Command } from './commands';
import { UsageError } from './errors';
import { oneOf, parse, type FlagSpec } from './flags';
import { formatted, write } from './output';
import { KUBE_FLAGS, KUBE_USAGE } from './kube-context';
import { apply } from './waypoint-apply';
import { remove } from './waypoint-delete';
import { list, status } from './waypoint-show';
import { waypointGateway } from './waypoint-gateway';

/** Flags every waypoint subcommand takes (istioctl's persistent --name, and the cluster's). */
const COMMON = {
  name: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  ...KUBE_FLAGS,
} as const;

const COMMON_USAGE = `  --name NAME             the waypoint's name (default waypoint)
  -n, --namespace NS      namespace (default: the kubeconfig context's, else default)
${KUBE_USAGE}`;

interface Sub {
  summary: string;
  usage: string;
  flags: FlagSpec;
  /** Names allowed after the subcommand (delete only). */
  positionals?: boolean;
  run(values: Record<string, string | boolean | undefined>, args: string[]): Promise<void>;
}

const SUBS: Record<string, Sub> = {
  generate: {
    summary: 'print a waypoint Gateway',
    usage: `usage: istiod-lite waypoint generate [--name NAME] [--for TYPE] [-r REV] [-n NS] [-o yaml|json]

Prints a waypoint Gateway. Without -n it carries no namespace, so it can be
piped into "kubectl apply -n NS -f -". The istio.io/waypoint-for label is
always written (service unless --for says otherwise): istioctl leaves it
out when --for is not given, and istiod then defaults to service, so the
result is the same Gateway.

flags:
  --for TYPE              service (default), workload, all or none
  -r, --revision REV      label the waypoint istio.io/rev=REV
  -o, --output FORMAT     yaml (default) or json
${COMMON_USAGE}`,
    flags: {
      for: { type: 'string', default: 'service' },
      revision: { type: 'string', short: 'r' },
      output: { type: 'string', short: 'o', default: 'yaml' },
    },
    async run(v) {
      const format = oneOf('output', String(v.output), ['yaml', 'json'] as const);
      const forType = oneOf('for', String(v.for), TRAFFIC_TYPES);
      // istioctl waypoint.go makeGateway(false): the namespace only when -n was given.
      const gw = waypointGateway(
        String(v.name ?? 'waypoint'),
        v.namespace as string | undefined,
        forType,
        v.revision as string,
      );
      write(format === 'json' ? formatted(gw, 'json') : YAML.stringify(gw, { indentSeq: false }));
    },
  },
  apply: {
    summary: 'create or update a waypoint',
    usage: `usage: istiod-lite waypoint apply [--name NAME] [--for TYPE] [-r REV] [-n NS] [--enroll-namespace [--overwrite]] [-w] [--waypoint-timeout DUR]

Creates or updates a waypoint Gateway (server-side apply).

With --enroll-namespace it waits until the waypoint is Programmed and only
then labels the namespace istio.io/use-waypoint=NAME, so traffic is never
sent to a waypoint that is not running. If the namespace already uses
another waypoint it is left alone and the command fails, unless
--overwrite is given (istioctl only warns and exits 0; a script could not
tell). A namespace not in ambient (istio.io/dataplane-mode=ambient) gets a
warning, as in istioctl.

flags:
  --for TYPE              service (default), workload, all or none
  -r, --revision REV      label the waypoint istio.io/rev=REV
  --enroll-namespace      label the namespace to use this waypoint, once it is Programmed
  --overwrite             replace the namespace's other waypoint, or this waypoint's settings
  -w, --wait              wait until the waypoint is Programmed
  --waypoint-timeout DUR  how long to wait (Go duration, default 1m30s)
${COMMON_USAGE}`,
    flags: {
      for: { type: 'string', default: 'service' },
      revision: { type: 'string', short: 'r' },
      'enroll-namespace': { type: 'boolean' },
      overwrite: { type: 'boolean' },
      wait: { type: 'boolean', short: 'w' },
      'waypoint-timeout': { type: 'string', default: '90s' },
    },
    run: (v) => apply(v),
  },
  list: {
    summary: 'list waypoints',
    usage: `usage: istiod-lite waypoint list [-n NS | -A] [-o table|json|yaml]

Lists the waypoint Gateways (class istio-waypoint): name, revision, traffic
type and whether they are Programmed. JSON and YAML print the Gateways as
stored, without metadata.managedFields.

flags:
  -A, --all-namespaces    every namespace
  -o, --output FORMAT     table (default), json or yaml
${COMMON_USAGE}`,
    flags: {
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o', default: 'table' },
    },
    run: (v) => list(v),
  },
  status: {
    summary: 'show waypoint conditions',
    usage: `usage: istiod-lite waypoint status [--name NAME] [-n NS | -A] [--wait=false] [--waypoint-timeout DUR] [-o table|json|yaml]

Shows each waypoint's Programmed condition. As istioctl, it waits (up to
--waypoint-timeout) for every waypoint to be Programmed, saying so on
stderr, then prints each one's condition (istioctl prints a row per poll);
--wait=false prints them at once. --name limits it to one waypoint.

flags:
  -A, --all-namespaces    every namespace
  -w, --wait              wait until Programmed (default true; --wait=false to not)
  --waypoint-timeout DUR  how long to wait (Go duration, default 1m30s)
  -o, --output FORMAT     table (default), json or yaml
${COMMON_USAGE}`,
    flags: {
      'all-namespaces': { type: 'boolean', short: 'A' },
      wait: { type: 'boolean', short: 'w' },
      'no-wait': { type: 'boolean' },
      'waypoint-timeout': { type: 'string', default: '90s' },
      output: { type: 'string', short: 'o', default: 'table' },
    },
    run: (v) => status(v),
  },
  delete: {
    summary: 'delete waypoints by name, --all, or -r REVISION',
    usage: `usage: istiod-lite waypoint delete NAME… | --all | -r REV [-n NS]

Deletes the named waypoints, or every waypoint in the namespace (--all), or
those labelled istio.io/rev=REV (-r). Names cannot be given with --all or
-r. A name that is not a waypoint is reported and the others are still
deleted. It acts on one namespace: --all-namespaces is refused.

flags:
  --all                   every waypoint in the namespace
  -r, --revision REV      the waypoints of revision REV
${COMMON_USAGE}`,
    flags: {
      all: { type: 'boolean' },
      revision: { type: 'string', short: 'r' },
      'all-namespaces': { type: 'boolean', short: 'A' },
    },
    positionals: true,
    run: (v, names) => remove(v, names),
  },
};

const USAGE = `usage: istiod-lite waypoint <subcommand> [flags]

subcommands:
${Object.entries(SUBS)
  .map(([n, s]) => `  ${n.padEnd(10)} ${s.summary}`)
  .join('\n')}

Run "istiod-lite waypoint <subcommand> --help" for its flags.`;

/** Go's `--flag=false` for the booleans that default to true (cobra accepts it; node:util does not). */
function goBooleans(argv: string[]): string[] {
  return argv.map((a) => (a === '--wait=false' || a === '-w=false' ? '--no-wait' : a === '--wait=true' ? '--wait' : a));
}

export const waypointCommand: Command = {
  name: 'waypoint',
  summary: 'generate, apply, list, delete and inspect waypoints',
  usage: USAGE,
  helpFor(argv) {
    const sub = argv.find((a) => a in SUBS);
    return (sub && SUBS[sub]?.usage) || USAGE;
  },
  async run(argv) {
    // The first argument naming a subcommand (flags may come before it, as cobra allows).
    const known = argv.findIndex((a) => a in SUBS);
    const at = known >= 0 ? known : argv.findIndex((a) => !a.startsWith('-'));
    const name = at < 0 ? undefined : argv[at];
    if (name === undefined) throw new UsageError('missing subcommand: generate, apply, list, delete or status');
    const sub = SUBS[name];
    if (!sub) throw new UsageError(`unknown subcommand "${name}" for "istiod-lite waypoint"`);
    const rest = goBooleans([...argv.slice(0, at), ...argv.slice(at + 1)]);
    try {
      const { values, positionals } = parse(rest, { ...COMMON, ...sub.flags });
      if (!sub.positionals && positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}": ${name} takes no arguments`);
      await sub.run(values as Record<string, string | boolean | undefined>, positionals);
    } catch (e) {
      if (e instanceof UsageError) e.subcommand = name;
      throw e;
    }
  },
};
