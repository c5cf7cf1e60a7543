import { readFileSync } from 'node:fs';
import { CommandError } from './errors';

/** The parts of ztunnel's /config_dump the service and workload views read. */
interface ZtunnelDump {
  workloads?: {
    uid?: string;
    workloadIps?: string[];
    hostname?: string;
    name?: string;
    namespace?: string;
    node?: string;
    protocol?: string;
    status?: string;
    waypoint?: { destination?: string };
  }[];
  services?: {
    name?: string;
    namespace?: string;
    hostname?: string;
    vips?: string[];
    waypoint?: { destination?: string };
    endpoints?: Record<string, { workloadUid?: string }>;
  }[];
  policies?: { name?: string; namespace?: string; action?: string; scope?: string }[];
}

/**
 * A file given with -f that is a ztunnel config dump (JSON with "workloads",
 * "services" or "policies"), as istioctl ztunnel-config --file reads it; undefined for
 * manifests, which go through the cluster overlay instead.
 */
export function readZtunnelDump(files: readonly string[]): ZtunnelDump | undefined {
  if (files.length !== 1 || files[0] === '-' || !/\.json$/i.test(files[0]!)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(files[0]!, 'utf8'));
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  if (d.kind !== undefined || !(Array.isArray(d.workloads) || Array.isArray(d.services) || Array.isArray(d.policies)))
    return undefined;
  if (d.workloads !== undefined && !Array.isArray(d.workloads))
    throw new CommandError(`${files[0]}: "workloads" is not a list`);
  return d as ZtunnelDump;
}

/** The waypoint's service name for a destination "ns/hostname" or "network/ip" (istioctl workload.go: waypointName). */
function waypointOf(dest: string | undefined, services: NonNullable<ZtunnelDump['services']>): string {
  if (!dest) return 'None';
  const svc = services.find((s) => `${s.namespace}/${s.hostname}` === dest || (s.vips ?? []).includes(dest));
  return svc?.name ?? 'NA';
}

const ipOf = (vip: string) => vip.slice(vip.indexOf('/') + 1);
const byNsName = (a: string[], b: string[]) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`);

/** Table rows from the dump (istioctl writer/ztunnel/configdump: PrintServiceSummary, PrintWorkloadSummary). */
export function dumpRows(dump: ZtunnelDump): { services: string[][]; workloads: string[][] } {
  const services = dump.services ?? [];
  const workloads = dump.workloads ?? [];
  const byUid = new Map(workloads.map((w) => [w.uid ?? '', w]));
  return {
    services: services
      .map((s) => {
        const eps = Object.values(s.endpoints ?? {});
        const healthy = eps.filter((e) => byUid.get(e.workloadUid ?? '')?.status === 'Healthy').length;
        return [
          s.namespace ?? '',
          s.name ?? '',
          (s.vips ?? []).map(ipOf).join(','),
          waypointOf(s.waypoint?.destination, services),
          `${healthy}/${eps.length}`,
        ];
      })
      .sort(byNsName),
    workloads: workloads
      .map((w) => [
        w.namespace ?? '',
        w.name ?? '',
        (w.workloadIps ?? []).join(',') || (w.hostname ?? ''),
        w.node ?? '',
        waypointOf(w.waypoint?.destination, services),
        w.protocol ?? '',
      ])
      .sort(byNsName),
  };
}
