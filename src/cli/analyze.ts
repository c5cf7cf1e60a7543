import { isEnrolled } from '../ambient';
import { LABEL, list, matchesLabels, type World } from '../model';
import { DEFAULT_OPTIONS, statusesOf, type ObjectStatus } from '../translate';
import { withResolvedJwks } from '../jwks/resolver';
import type { AmbientIndex } from '../ambient';
import type { Command } from './commands';
import { oneOf, parse } from './flags';
import { formatted, write } from './output';
import { loadWorld } from './world-loader';
import { EXIT_ANALYZER_ISSUES } from './errors';
import { CODE } from './analyze-codes';
import { routesWithoutWaypoint } from './analyze-routes';
import { unverifiedTls } from './analyze-dr';
import { analyzeTelemetry } from './analyze-telemetry';
import { serviceEntryFindings } from './analyze-service-entries';
import { analyzeVirtualServices } from './analyze-vs';
import { KUBE_FLAGS, KUBE_USAGE } from './kube-context';
import { INPUT_FLAGS, INPUT_USAGE } from './manifest-input';

const USAGE = `usage: istiod-lite analyze [FILE_OR_DIR|- …] [-f FILE_OR_DIR|- …] [-R] [-n NS | -A] [-o text|json|yaml]

Finds the waypoint mistakes that make L7 policy silently not apply.

It reads the cluster of the current kubeconfig, with the given manifests
laid over it, as istioctl analyze does ("what would be wrong if I applied
these"); with no cluster configured, the manifests alone. Exit status 79
when there are errors (istioctl's code for analyzer findings), 65 when a
given file holds a document that cannot be used.

flags:
${INPUT_USAGE}
  -n, --namespace NS      namespace to report on (default: the kubeconfig context's, else default)
  -A, --all-namespaces    report on every namespace
  -o, --output FORMAT     text (default), json or yaml
${KUBE_USAGE}`;

export interface Message {
  level: 'Error' | 'Warning' | 'Info';
  code: string;
  kind: string;
  namespace?: string;
  name: string;
  text: string;
}

// Istio's codes where Istio has one; ours (ISL…) for the rest.

function fromStatuses(statuses: readonly ObjectStatus[]): Message[] {
  const out: Message[] = [];
  for (const s of statuses) {
    const at = { kind: s.kind, namespace: s.namespace, name: s.name };
    for (const c of s.conditions ?? []) {
      if (c.type === 'istio.io/WaypointBound' && c.status === 'False') {
        out.push({
          level: 'Error',
          code: CODE.negativeCondition,
          ...at,
          text: `${c.type}=False (${c.reason}): ${c.message}`,
        });
      }
    }
    for (const p of s.parents ?? []) {
      for (const c of p.conditions) {
        if (
          c.status === 'False' &&
          (c.reason === 'BackendNotFound' || c.reason === 'TargetNotFound' || c.reason === 'NoMatchingParent')
        ) {
          out.push({ level: 'Error', code: CODE.referenceNotFound, ...at, text: c.message });
        } else if (
          c.status === 'False' &&
          c.type === 'WaypointAccepted' &&
          s.kind !== 'WasmPlugin' &&
          s.kind !== 'EnvoyFilter'
        ) {
          out.push({
            level: 'Error',
            code: CODE.negativeCondition,
            ...at,
            text: `${c.type}=False (${c.reason}): ${c.message}`,
          });
        } else if (c.status === 'False' && c.type === 'WaypointAccepted') {
          out.push({ level: 'Warning', code: CODE.unsupportedKind, ...at, text: c.message });
        } else if (c.status === 'False') {
          out.push({
            level: 'Error',
            code: CODE.negativeCondition,
            ...at,
            text: `${c.type}=False (${c.reason}): ${c.message}`,
          });
        }
      }
    }
  }
  return out;
}

/** A selector policy whose selector matches a waypoint pod: waypoints ignore selectors. */
function selectorsOnWaypoints(world: World): Message[] {
  const out: Message[] = [];
  for (const p of list(world, 'AuthorizationPolicy')) {
    const sel = p.spec?.selector?.matchLabels;
    if (!sel) continue;
    const pods = list(world, 'Pod').filter(
      (x) =>
        x.metadata.namespace === p.metadata.namespace &&
        x.metadata.labels?.[LABEL.gatewayName] &&
        matchesLabels(sel, x.metadata.labels),
    );
    if (pods.length === 0) continue;
    out.push({
      level: 'Warning',
      code: CODE.selectorOnWaypoint,
      kind: 'AuthorizationPolicy',
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      text: `selects waypoint pod ${pods[0]?.metadata.name}; waypoints ignore selectors, attach with targetRefs to the Gateway or Service instead`,
    });
  }
  return out;
}

/** use-waypoint on a namespace that is not in ambient: the waypoint never sees its traffic. */
function notEnrolled(world: World): Message[] {
  const out: Message[] = [];
  for (const ns of list(world, 'Namespace')) {
    const l = ns.metadata.labels ?? {};
    if (l[LABEL.useWaypoint] && l[LABEL.useWaypoint] !== 'none' && l[LABEL.dataplaneMode] !== 'ambient') {
      const pods = list(world, 'Pod').filter((p) => p.metadata.namespace === ns.metadata.name);
      if (pods.length > 0 && pods.some((p) => isEnrolled(p, world))) continue;
      out.push({
        level: 'Warning',
        code: CODE.notEnrolled,
        kind: 'Namespace',
        name: ns.metadata.name,
        text: `has istio.io/use-waypoint=${l[LABEL.useWaypoint]} but is not in the ambient mesh (label istio.io/dataplane-mode=ambient); traffic will not reach the waypoint`,
      });
    }
  }
  return out;
}

/** `statuses`, when the caller has them for this World and index, saves computing them again. */
export function analyzeWorld(world: World, index: AmbientIndex, statuses?: readonly ObjectStatus[]): Message[] {
  const msgs = [
    ...fromStatuses(statuses ?? statusesOf(world, index, DEFAULT_OPTIONS)),
    ...selectorsOnWaypoints(world),
    ...notEnrolled(world),
    ...routesWithoutWaypoint(world, index),
    ...unverifiedTls(world),
    ...analyzeTelemetry(world, DEFAULT_OPTIONS.rootNamespace),
    ...serviceEntryFindings(world, index),
    ...analyzeVirtualServices(world, index),
  ];
  return msgs.sort((a, b) =>
    `${a.code}${a.kind}${a.namespace}${a.name}`.localeCompare(`${b.code}${b.kind}${b.namespace}${b.name}`),
  );
}

export function formatMessage(m: Message): string {
  return `${m.level} [${m.code}] (${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}) ${m.text}`;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'find configuration mistakes that keep waypoints from applying policy',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      ...INPUT_FLAGS,
      ...KUBE_FLAGS,
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o', default: 'text' },
    });
    const format = oneOf('output', values.output, ['text', 'json', 'yaml'] as const);
    // istioctl analyze takes its files as arguments; -f is accepted too.
    const loaded = await loadWorld({
      files: [...positionals, ...(values.filename ?? [])],
      recursive: values.recursive,
      kubeconfig: values.kubeconfig,
      context: values.context,
    });
    // JWKS are fetched as serve fetches them, so a key set that cannot be had is reported.
    const world = await withResolvedJwks(loaded.world, DEFAULT_OPTIONS.rootNamespace);
    const index = loaded.index;
    const ns = values['all-namespaces'] ? undefined : (values.namespace ?? loaded.namespace);
    const msgs = analyzeWorld(world, index).filter(
      (m) => !ns || m.namespace === ns || (m.kind === 'Namespace' && m.name === ns),
    );
    if (format !== 'text') {
      write(formatted(msgs, format));
      if (msgs.some((m) => m.level === 'Error')) process.exitCode = EXIT_ANALYZER_ISSUES;
      return;
    }
    if (msgs.length === 0) {
      write(`✔ No validation issues found when analyzing ${ns ? `namespace: ${ns}` : 'all namespaces'}.\n`);
      return;
    }
    for (const m of msgs) write(formatMessage(m) + '\n');
    if (msgs.some((m) => m.level === 'Error')) process.exitCode = EXIT_ANALYZER_ISSUES;
  },
};
