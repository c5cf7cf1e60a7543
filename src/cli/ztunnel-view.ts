import { decodeMessage, type OutputTypeMap } from '../envoy';
import { ipTextOf } from '../model/values';

type Address = OutputTypeMap['istio.workload.Address'];
type GatewayAddress = OutputTypeMap['istio.workload.GatewayAddress'];

const ipText = (b: Buffer): string => ipTextOf(b) ?? b.toString('hex');

/** The ztunnel-config tables from Address resources, as ztunnel received them. */
export function tablesFromAddresses(bodies: Buffer[]): { services: string[][]; workloads: string[][] } {
  const addrs = bodies.map((b) => decodeMessage('istio.workload.Address', b) as Address);
  const services = addrs.map((a) => a.service).filter((s): s is NonNullable<Address['service']> => !!s);
  const workloads = addrs.map((a) => a.workload).filter((w): w is NonNullable<Address['workload']> => !!w);
  const byVip = new Map<string, string>();
  for (const s of services) for (const a of s.addresses) byVip.set(ipText(a.address), s.name);
  const waypointName = (g: GatewayAddress | null): string => {
    if (!g) return 'None';
    if (g.hostname) return g.hostname.hostname.split('.')[0] ?? 'None';
    if (g.address) return byVip.get(ipText(g.address.address)) ?? ipText(g.address.address);
    return 'None';
  };
  const svcRows = services
    .map((s) => {
      const key = `${s.namespace}/${s.hostname}`;
      const eps = workloads.filter((w) => key in w.services);
      const ready = eps.filter((w) => w.status === 'HEALTHY').length;
      return [
        s.namespace,
        s.name,
        s.addresses.map((a) => ipText(a.address)).join(',') || 'None',
        waypointName(s.waypoint),
        `${ready}/${eps.length}`,
      ];
    })
    .sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`));
  const wlRows = workloads
    .map((w) => [
      w.namespace,
      w.name,
      w.addresses.map(ipText).join(','),
      w.node,
      waypointName(w.waypoint),
      w.tunnel_protocol === 'HBONE' ? 'HBONE' : 'TCP',
    ])
    .sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`));
  return { services: svcRows, workloads: wlRows };
}
