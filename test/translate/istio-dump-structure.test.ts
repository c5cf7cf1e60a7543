// Our waypoint output for the scenario of istio's own waypoint config dump
// (istioctl/pkg/proxyconfig/testdata/config_dump.json in istio/istio: an
// httpbin Service with VIP 10.104.171.68, ports 8000 HTTP and 8100 HTTP/2,
// one pod 192.168.195.248 bound to the waypoint), compared by structure:
// cluster types and transport sockets, listener filters, matcher inputs and
// what each branch leads to. EXPECTED is our own summary of that dump plus,
// for the plumbing clusters the abridged dump leaves out, of istiod's
// cluster_waypoint.go. When istio's repository is mirrored locally the
// summary is also checked against the dump itself.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { toProtoJson, TypeUrl, type Json } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';

type J = Record<string, Json> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const HOST = 'httpbin.default.svc.cluster.local';
const VIP = '10.104.171.68';
const POD = '192.168.195.248';
const T = 'type.googleapis.com/';
const INPUTS = `${T}envoy.extensions.matching.common_inputs.network.v3.`;

/** A structural summary of a waypoint config. */
interface Summary {
  clusters: Record<string, { type: string; socket: string[]; passthrough?: string[]; services?: Json }>;
  mainInternal: {
    listenerFilters: string[];
    trafficDirection: string;
    matcherInput: string;
    customMatch: string;
    /** Per IP range: the next input and its map keys, and the on_no_match action. */
    ranges: Record<string, { input: string; keys: string[]; onNoMatch?: string }>;
    /** Filter names of the chain each port / direct protocol leads to. */
    chains: Record<string, string[]>;
    hcm: Record<string, Json>;
    http2Ports: string[];
  };
}

const HCM_FILTERS = [
  'envoy.filters.http.grpc_stats',
  'envoy.filters.http.fault',
  'envoy.filters.http.cors',
  'waypoint_upstream_peer_metadata',
  'istio.stats',
  'envoy.filters.http.router',
];

const EXPECTED: Summary = {
  clusters: {
    // From the dump.
    [`inbound-vip|8000|http|${HOST}`]: {
      type: 'EDS',
      socket: [
        'internal_upstream',
        `${T}envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport`,
        'raw_buffer',
      ],
      passthrough: ['envoy.filters.listener.original_dst'],
      services: [{ host: HOST, name: 'httpbin', namespace: 'default' }],
    },
    // From cluster_waypoint.go (buildInternalUpstreamCluster, buildConnectOriginate).
    main_internal: {
      type: 'STATIC',
      socket: [
        'internal_upstream',
        `${T}envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport`,
        'raw_buffer',
      ],
    },
    encap: {
      type: 'STATIC',
      socket: [
        'internal_upstream',
        `${T}envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport`,
        'raw_buffer',
      ],
    },
    connect_originate: {
      type: 'ORIGINAL_DST',
      socket: ['tls', `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`],
    },
  },
  mainInternal: {
    listenerFilters: ['envoy.filters.listener.original_dst', 'envoy.filters.listener.http_inspector'],
    trafficDirection: 'INBOUND',
    matcherInput: `${INPUTS}DestinationIPInput`,
    customMatch: `${T}xds.type.matcher.v3.IPMatcher`,
    ranges: {
      [`${VIP}/32`]: { input: `${INPUTS}DestinationPortInput`, keys: ['8000', '8100'] },
      [`${POD}/32`]: {
        input: `${INPUTS}ApplicationProtocolInput`,
        keys: ["'h2c'", "'http/1.1'"],
        onNoMatch: 'direct-tcp',
      },
    },
    chains: {
      '8000': ['envoy.filters.network.http_connection_manager'],
      '8100': ['envoy.filters.network.http_connection_manager'],
      "'h2c'": ['connect_authority', 'envoy.filters.network.http_connection_manager'],
      'direct-tcp': ['connect_authority', 'istio.metadata_exchange', 'istio.stats', 'envoy.filters.network.tcp_proxy'],
    },
    hcm: {
      httpFilters: HCM_FILTERS,
      normalizePath: true,
      pathWithEscapedSlashesAction: 'KEEP_UNCHANGED',
      useRemoteAddress: false,
      serverName: 'istio-envoy',
      streamIdleTimeout: '0s',
      upgradeTypes: ['websocket'],
      requestIdExtension: `${T}envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig`,
      useRequestIdForTraceSampling: true,
      tracing: true,
    },
    http2Ports: ['8100'],
  },
};

function socketPath(s: J | undefined): string[] {
  if (!s) return [];
  const inner = s.typedConfig?.transportSocket as J | undefined;
  return [s.name, s.typedConfig?.['@type'], ...(inner ? [inner.name] : [])].filter((x) => x !== undefined);
}

/** The summary of a waypoint config: clusters and listeners as config-dump JSON (proto field names, camel or snake). */
function summarize(clusters: J[], mainInternal: J): Summary {
  const camel = (o: J): J =>
    JSON.parse(
      JSON.stringify(o).replace(
        /"([a-z0-9]+(?:_[a-z0-9]+)+)":/g,
        (_, k: string) => `"${k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())}":`,
      ),
    );
  const out: Summary = {
    clusters: {},
    mainInternal: {
      listenerFilters: [],
      trafficDirection: '',
      matcherInput: '',
      customMatch: '',
      ranges: {},
      chains: {},
      hcm: {},
      http2Ports: [],
    },
  };
  for (const raw of clusters) {
    const c = camel(raw);
    const passthrough = (c.transportSocket?.typedConfig?.passthroughMetadata as J[] | undefined)?.map(
      (p) => p.name as string,
    );
    out.clusters[c.name] = {
      type: c.type,
      socket: socketPath(c.transportSocket),
      ...(passthrough ? { passthrough } : {}),
      ...(c.metadata?.filterMetadata?.istio?.services ? { services: c.metadata.filterMetadata.istio.services } : {}),
    };
  }
  const l = camel(mainInternal);
  const m = out.mainInternal;
  m.listenerFilters = l.listenerFilters.map((f: J) => f.name);
  m.trafficDirection = l.trafficDirection;
  m.matcherInput = l.filterChainMatcher.matcherTree.input.typedConfig['@type'];
  const custom = l.filterChainMatcher.matcherTree.customMatch.typedConfig;
  m.customMatch = custom['@type'];
  const chainByName = new Map<string, J>(l.filterChains.map((c: J) => [c.name, c]));
  const actionOf = (o: J | undefined): string | undefined => o?.action?.typedConfig?.value;
  for (const r of custom.rangeMatchers as J[]) {
    const key = r.ranges.map((c: J) => `${c.addressPrefix}/${c.prefixLen?.value ?? c.prefixLen}`).join(',');
    const tree = r.onMatch.matcher.matcherTree;
    const keys = Object.keys(tree.exactMatchMap.map).sort();
    m.ranges[key] = {
      input: tree.input.typedConfig['@type'],
      keys,
      ...(r.onMatch.matcher.onNoMatch ? { onNoMatch: actionOf(r.onMatch.matcher.onNoMatch) } : {}),
    };
    for (const k of keys) {
      const chain = chainByName.get(actionOf(tree.exactMatchMap.map[k]) ?? '');
      // Both HTTP application protocols lead to the same chain; one is enough.
      if (chain && k !== "'http/1.1'") m.chains[k] = chain.filters.map((f: J) => f.name);
    }
    const noMatch = actionOf(r.onMatch.matcher.onNoMatch);
    if (noMatch) m.chains[noMatch] = chainByName.get(noMatch)?.filters.map((f: J) => f.name) ?? [];
  }
  for (const c of l.filterChains as J[]) {
    const hcm = c.filters.find((f: J) => f.name === 'envoy.filters.network.http_connection_manager')?.typedConfig as
      J | undefined;
    if (!hcm || c.filters[0].name === 'connect_authority') continue;
    const port = /_(\d+);?$/.exec(hcm.statPrefix)?.[1] ?? '';
    if (hcm.http2ProtocolOptions) m.http2Ports.push(port);
    if (port !== '8000') continue;
    m.hcm = {
      httpFilters: hcm.httpFilters.map((f: J) => f.name),
      normalizePath: hcm.normalizePath,
      pathWithEscapedSlashesAction: hcm.pathWithEscapedSlashesAction,
      useRemoteAddress: hcm.useRemoteAddress,
      serverName: hcm.serverName,
      streamIdleTimeout: hcm.streamIdleTimeout,
      upgradeTypes: hcm.upgradeConfigs.map((u: J) => u.upgradeType),
      requestIdExtension: hcm.requestIdExtension.typedConfig['@type'],
      useRequestIdForTraceSampling: hcm.requestIdExtension.typedConfig.useRequestIdForTraceSampling,
      tracing: hcm.tracing !== undefined,
    };
  }
  m.http2Ports.sort();
  return out;
}

const scenario: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default', labels: { 'istio.io/dataplane-mode': 'ambient' } },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'default', labels: { 'istio.io/waypoint-for': 'all' } },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: { addresses: [{ type: 'IPAddress', value: '10.96.100.1' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'httpbin', namespace: 'default', labels: { 'istio.io/use-waypoint': 'waypoint' } },
    spec: {
      clusterIP: VIP,
      selector: { app: 'httpbin' },
      ports: [
        { name: 'http', port: 8000, targetPort: 80 },
        { name: 'http2', port: 8100, targetPort: 800 },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'httpbin-1',
      namespace: 'default',
      labels: { app: 'httpbin', 'istio.io/use-waypoint': 'waypoint' },
    },
    spec: { nodeName: 'n1', serviceAccountName: 'httpbin' },
    status: { phase: 'Running', podIP: POD, conditions: [{ type: 'Ready', status: 'True' }] },
  },
] as KubeObject[];

function ours(): Summary {
  const { world } = applyChanges(
    EMPTY_WORLD,
    scenario.map((object) => ({ op: 'upsert' as const, object })),
  );
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('default/waypoint')!;
  const json = (type: string) => (out.resources.get(type) ?? []).map((r) => toProtoJson(r.messageName, r.body) as J);
  return summarize(
    json(TypeUrl.Cluster),
    json(TypeUrl.Listener).find((l) => l.name === 'main_internal')!,
  );
}

describe("structure against istio's real waypoint config dump", () => {
  const summary = ours();

  it('has the same clusters with the same types and transport sockets', () => {
    for (const [name, want] of Object.entries(EXPECTED.clusters)) {
      const got = summary.clusters[name];
      assert.ok(got, `cluster ${name}`);
      assert.equal(got.type, want.type, `${name} type`);
      assert.deepEqual(got.socket, want.socket, `${name} transport socket`);
      // istiod now also passes `istio` host metadata (WaypointInternalUpstreamTransportSocket); the dump predates it.
      for (const p of want.passthrough ?? []) assert.ok(got.passthrough?.includes(p), `${name} passes ${p} through`);
      if (want.services) assert.deepEqual(got.services, want.services, `${name} istio.services`);
    }
  });

  it('has the same main_internal listener filters, matcher inputs and branches', () => {
    const { hcm, ...rest } = summary.mainInternal;
    const { hcm: wantHcm, ...wantRest } = EXPECTED.mainInternal;
    assert.deepEqual(rest, wantRest);
    assert.deepEqual(hcm, wantHcm);
  });

  // The summary above is ours; when istio's repository is mirrored here, it
  // is checked against the dump it summarizes.
  it('summarizes the dump itself', (t) => {
    let text: string;
    try {
      text = execFileSync(
        'git',
        [
          '-C',
          process.env.ISTIO_GIT_DIR ?? '/work/.mirror/istio+istio/repo',
          'show',
          'HEAD:istioctl/pkg/proxyconfig/testdata/config_dump.json',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
      );
    } catch {
      t.skip('istio repository not mirrored here');
      return;
    }
    const dump = JSON.parse(text) as { configs: J[] };
    const clusters = dump.configs
      .find((c) => c['@type'].endsWith('ClustersConfigDump'))!
      .dynamic_active_clusters.map((c: J) => c.cluster);
    const listeners = dump.configs
      .find((c) => c['@type'].endsWith('ListenersConfigDump'))!
      .dynamic_listeners.map((l: J) => l.active_state.listener);
    const theirs = summarize(
      clusters,
      listeners.find((l: J) => l.name === 'main_internal'),
    );
    const dumped = `inbound-vip|8000|http|${HOST}`;
    assert.deepEqual(theirs.clusters[dumped], EXPECTED.clusters[dumped]);
    assert.deepEqual(theirs.mainInternal, EXPECTED.mainInternal);
  });
});
