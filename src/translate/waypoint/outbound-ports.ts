import { readObject } from '../../model';
import type { WaypointContext } from '../context';
import type { OutboundClusterIR } from '../ir';
import { outbound as outboundName } from '../names';
import { endpointIRs, istioProtocol } from '../services';
import { completeServiceEntryPorts } from './outbound-service-entry';

/**
 * Every port of each Service the waypoint reaches outbound, not only the port
 * a route or extension named: istiod builds a waypoint's outbound clusters
 * from whole services (cluster.go: BuildClusters, `case model.Waypoint` →
 * filterWaypointOutboundServices → buildOutboundClusters, which loops
 * `service.Ports`, skipping UDP), and of each ServiceEntry host
 * (outbound-service-entry.ts: completeServiceEntryPorts). Subset clusters
 * are left as they are; `outbound` is completed in place.
 */
export function completeOutboundPorts(ctx: WaypointContext, outbound: Map<string, OutboundClusterIR>): void {
  const suffix = `.svc.${ctx.opts.domain}`;
  const seen = new Set<string>();
  for (const o of [...outbound.values()]) {
    if (o.serviceEntry || o.subset || seen.has(o.hostname) || !o.hostname.endsWith(suffix)) continue;
    seen.add(o.hostname);
    const parts = o.hostname.slice(0, -suffix.length).split('.');
    if (parts.length !== 2) continue;
    const [name = '', ns = ''] = parts;
    const svc = readObject(ctx, 'Service', ns, name);
    for (const p of svc?.spec?.ports ?? []) {
      if (!svc || p.protocol === 'UDP') continue;
      const cluster = outboundName(p.port, o.hostname);
      if (outbound.has(cluster)) continue;
      outbound.set(cluster, {
        cluster,
        hostname: o.hostname,
        port: p.port,
        endpoints: endpointIRs(svc, p, ctx, ctx.opts.clusterId),
        protocol: istioProtocol(p),
      });
    }
  }
  completeServiceEntryPorts(ctx, outbound);
}
