import type { AmbientIndex } from '../ambient';
import { list, type VirtualService, type VsDestination, type World } from '../model';
import { DEFAULT_OPTIONS } from '../translate';
import { resolveShortname } from '../translate/route/vs-destination';
import { forMesh, hostsMatch } from '../translate/route/vs-select';
import type { Message } from './analyze';
import { CODE } from './analyze-codes';
import { analyzeDelegates } from './analyze-delegate';

// What `istioctl analyze` reports about VirtualServices, and what a waypoint
// silently does not apply of one.

const DOMAIN = DEFAULT_OPTIONS.domain;

/** Every destination a VirtualService routes or mirrors to, with what it is. */
function destinations(vs: VirtualService): { what: 'host' | 'mirror host'; d: VsDestination }[] {
  const out: { what: 'host' | 'mirror host'; d: VsDestination }[] = [];
  for (const h of vs.spec?.http ?? []) {
    for (const r of h.route ?? []) out.push({ what: 'host', d: r.destination });
    if (h.mirror) out.push({ what: 'mirror host', d: h.mirror });
    for (const m of h.mirrors ?? []) out.push({ what: 'mirror host', d: m.destination });
  }
  for (const r of [...(vs.spec?.tcp ?? []), ...(vs.spec?.tls ?? [])])
    for (const x of r.route ?? []) out.push({ what: 'host', d: x.destination });
  return out;
}

/** The ports behind a hostname: a Service's, or a ServiceEntry's that names it. */
function portsOf(world: World, host: string): number[] | undefined {
  const suffix = `.svc.${DOMAIN}`;
  if (host.endsWith(suffix)) {
    const [name, ns, ...rest] = host.slice(0, -suffix.length).split('.');
    const svc =
      rest.length === 0
        ? list(world, 'Service').find((s) => s.metadata.name === name && s.metadata.namespace === ns)
        : undefined;
    if (svc) return (svc.spec?.ports ?? []).map((p) => p.port);
  }
  const se = list(world, 'ServiceEntry').find((e) => (e.spec?.hosts ?? []).some((h) => hostsMatch(h, host)));
  return se ? (se.spec?.ports ?? []).map((p) => p.number) : undefined;
}

/**
 * destinationhosts.go: DestinationHostAnalyzer — a destination host nothing
 * defines (IST0101), a multi-port destination without a port (IST0112).
 */
function destinationProblems(world: World): Message[] {
  const out: Message[] = [];
  for (const vs of list(world, 'VirtualService')) {
    const at = { kind: 'VirtualService', namespace: vs.metadata.namespace, name: vs.metadata.name };
    for (const { what, d } of destinations(vs)) {
      const host = resolveShortname(d.host ?? '', vs, DOMAIN);
      const ports = portsOf(world, host);
      if (!ports) {
        out.push({
          level: 'Error',
          code: CODE.referenceNotFound,
          ...at,
          text: `Referenced ${what} not found: "${d.host}"`,
        });
      } else if (d.port?.number === undefined && ports.length > 1) {
        out.push({
          level: 'Error',
          code: CODE.multiPortWithoutPort,
          ...at,
          text: `This VirtualService routes to a service "${host}" that exposes multiple ports [${ports.join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
        });
      }
    }
  }
  return out;
}

/**
 * A mesh VirtualService whose hosts name only Services without a waypoint
 * does nothing in ambient (ztunnel has no L7); matches on source labels are
 * dropped by waypoints (listener_waypoint.go: waypointInboundRoute, istio#51565).
 */
function waypointProblems(world: World, index: AmbientIndex): Message[] {
  const out: Message[] = [];
  const services = list(world, 'Service');
  for (const vs of list(world, 'VirtualService')) {
    if (!forMesh(vs)) continue;
    const at = { kind: 'VirtualService', namespace: vs.metadata.namespace, name: vs.metadata.name };
    const hosts = (vs.spec?.hosts ?? []).map((h) => resolveShortname(h, vs, DOMAIN));
    const named = services.filter((s) =>
      hosts.some((h) => hostsMatch(h, `${s.metadata.name}.${s.metadata.namespace ?? 'default'}.svc.${DOMAIN}`)),
    );
    const bound = named.some(
      (s) => index.bindings.get(`Service/${s.metadata.namespace ?? 'default'}/${s.metadata.name}`)?.kind === 'bound',
    );
    if (named.length > 0 && !bound) {
      out.push({
        level: 'Warning',
        code: CODE.routeWithoutWaypoint,
        ...at,
        text: `has no effect: no Service it names (${named.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(', ')}) uses a waypoint; label it or its namespace istio.io/use-waypoint=<waypoint>`,
      });
    }
    (vs.spec?.http ?? []).forEach((h, i) =>
      (h.match ?? []).forEach((m, j) => {
        if (Object.keys(m.sourceLabels ?? {}).length > 0)
          out.push({
            level: 'Warning',
            code: CODE.sourceLabelsOnWaypoint,
            ...at,
            text: `http[${i}].match[${j}] has sourceLabels: waypoints have no source labels and skip this match`,
          });
      }),
    );
  }
  return out;
}

export function analyzeVirtualServices(world: World, index: AmbientIndex): Message[] {
  return [...destinationProblems(world), ...waypointProblems(world, index), ...analyzeDelegates(world)];
}
