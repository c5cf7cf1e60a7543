/** One proxy's configuration as the server's /debug/config_dump serves it. */
export interface Dump {
  configs: { type: string; resources: { name: string; version: string; resource: Record<string, unknown> }[] }[];
}

type Res = Dump['configs'][number]['resources'][number];

const DUMP_TYPES: Record<string, { type: string; list: string; wrap: (r: Res) => Record<string, unknown> }> = {
  CDS: {
    type: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
    list: 'dynamicActiveClusters',
    wrap: (r) => ({ versionInfo: r.version, cluster: r.resource }),
  },
  LDS: {
    type: 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
    list: 'dynamicListeners',
    wrap: (r) => ({ name: r.name, activeState: { versionInfo: r.version, listener: r.resource } }),
  },
  RDS: {
    type: 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    list: 'dynamicRouteConfigs',
    wrap: (r) => ({ versionInfo: r.version, routeConfig: r.resource }),
  },
  EDS: {
    type: 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
    list: 'dynamicEndpointConfigs',
    wrap: (r) => ({ versionInfo: r.version, endpointConfig: r.resource }),
  },
};

/**
 * The dump in Envoy's admin ConfigDump shape (envoy.admin.v3.ConfigDump:
 * one typed entry per resource type, in Envoy's order), as istiod's
 * /debug/config_dump answers (pilot/pkg/xds/debug.go: connectionConfigDump),
 * so tools that read Envoy's dump read this one.
 */
export function envoyConfigDump(dump: Dump): { configs: Record<string, unknown>[] } {
  const configs: Record<string, unknown>[] = [];
  for (const short of ['CDS', 'LDS', 'RDS', 'EDS']) {
    const t = DUMP_TYPES[short]!;
    const resources = dump.configs.find((c) => c.type === short)?.resources ?? [];
    if (resources.length > 0) configs.push({ '@type': t.type, [t.list]: resources.map(t.wrap) });
  }
  return { configs };
}

/** istiod's cluster name parts (pilot/pkg/model: ParseSubsetKey: direction|port|subset|fqdn). */
export function clusterNameParts(name: string): { direction: string; port: string; subset: string; fqdn: string } {
  const p = name.split('|');
  if (p.length < 4) return { direction: '-', port: '-', subset: '-', fqdn: name };
  return { direction: p[0]!, port: p[1]!, subset: p[2] || '-', fqdn: p.slice(3).join('|') };
}

/** The DestinationRule a cluster came from, as istioctl's describeManagement names it (name.namespace). */
export function destinationRuleOf(cluster: Record<string, unknown>): string {
  const md = cluster.metadata as { filterMetadata?: { istio?: { config?: unknown } } } | undefined;
  const cfg = md?.filterMetadata?.istio?.config;
  const m = typeof cfg === 'string' ? /\/namespaces\/([^/]+)\/destination-rule\/([^/]+)$/.exec(cfg) : null;
  return m ? `${m[2]}.${m[1]}` : '-';
}
