// Child process: many Delta ADS clients, each a waypoint proxy, as the
// benchmark's load. Each proxy dials its own connection (grpc-js would
// otherwise share one subchannel between channels to the same address),
// over TLS with its waypoint's client certificate when the parent gives
// them. Talks to the parent over IPC: it reports when every client is
// synced and, on request, when each response arrived and how many bytes it
// carried. Kept apart from the server so their CPU is not shared.
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, TypeUrl } from '../src/envoy';

const identity = (b: Buffer) => b;
const TYPES = [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route];

interface NodeSpec {
  id: string;
  ns: string;
  waypoint: string;
}

/** The CA and, per namespace, the PEM certificate and key its waypoint presents. */
export interface FleetTls {
  ca: string;
  identities: Record<string, { cert: string; key: string }>;
}

interface Msg {
  cmd: 'start' | 'report' | 'reconnect' | 'redial' | 'raw' | 'exit';
  address?: string;
  nodes?: NodeSpec[];
  tls?: FleetTls;
}

interface Receipt {
  client: number;
  type: string;
  at: number;
  bytes: number;
}

const receipts: Receipt[] = [];
let clients: Client[] = [];
let tls: FleetTls | undefined;
const creds = new Map<string, grpc.ChannelCredentials>();

/** One connection of its own: a local subchannel pool per channel. */
function dial(address: string, ns: string): grpc.Client {
  let c = creds.get(ns);
  if (!c) {
    const id = tls?.identities[ns];
    c = tls
      ? grpc.credentials.createSsl(
          Buffer.from(tls.ca),
          id ? Buffer.from(id.key) : null,
          id ? Buffer.from(id.cert) : null,
        )
      : grpc.credentials.createInsecure();
    creds.set(ns, c);
  }
  // The server's certificate names localhost; an IP address is no TLS server name.
  return new grpc.Client(address, c, {
    'grpc.use_local_subchannel_pool': 1,
    ...(tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {}),
  });
}

class Client {
  held = new Map<string, Map<string, string>>();
  synced = new Set<string>();
  call?: grpc.ClientDuplexStream<Buffer, Buffer>;
  channel?: grpc.Client;
  bytes = 0;

  constructor(
    readonly index: number,
    readonly node: NodeSpec,
  ) {}

  open(withVersions: boolean, onSynced: () => void): void {
    this.synced.clear();
    const call = this.channel!.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
      identity,
      identity,
    );
    this.call = call;
    const send = (req: Record<string, unknown>) =>
      call.write(encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', req as never));
    const node = {
      id: this.node.id,
      metadata: {
        fields: {
          NAMESPACE: { stringValue: this.node.ns },
          LABELS: {
            structValue: { fields: { 'gateway.networking.k8s.io/gateway-name': { stringValue: this.node.waypoint } } },
          },
        },
      },
    };
    let first = true;
    const subscribe = (type: string, names: string[]) => {
      send({
        ...(first ? { node } : {}),
        type_url: type,
        resource_names_subscribe: names,
        initial_resource_versions: withVersions ? Object.fromEntries(this.held.get(type) ?? []) : {},
      });
      first = false;
    };
    call.on('data', (b: Buffer) => {
      const r = decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', b);
      this.bytes += b.length;
      receipts.push({ client: this.index, type: r.type_url, at: Date.now(), bytes: b.length });
      let held = this.held.get(r.type_url);
      if (!held) this.held.set(r.type_url, (held = new Map()));
      for (const res of r.resources) held.set(res.name, res.version);
      for (const n of r.removed_resources) held.delete(n);
      send({ type_url: r.type_url, response_nonce: r.nonce });
      if (r.type_url === TypeUrl.Cluster && !this.synced.has(TypeUrl.Cluster)) {
        const names = [...held.keys()].filter((n) => n.startsWith('inbound-vip') || n.startsWith('outbound'));
        subscribe(TypeUrl.Endpoint, names);
        subscribe(TypeUrl.Listener, ['*']);
        subscribe(
          TypeUrl.Route,
          names.filter((n) => n.includes('|http|')),
        );
      }
      this.synced.add(r.type_url);
      if (TYPES.every((t) => this.synced.has(t))) onSynced();
    });
    call.on('error', (e: grpc.ServiceError) => {
      // A stream we cancelled ourselves is expected; anything else the parent must hear about.
      if (e.code !== grpc.status.CANCELLED)
        process.send?.({ event: 'client-error', client: this.index, error: e.message });
    });
    subscribe(TypeUrl.Cluster, ['*']);
  }
}

/**
 * Opens a stream per client (dialling the client's connection if it has
 * none); `synced` is sent once every client holds all four types.
 */
function start(address: string, nodes: NodeSpec[], withVersions: boolean): void {
  let synced = 0;
  const done = new Set<number>();
  const onSynced = (i: number) => {
    if (done.has(i)) return;
    done.add(i);
    if (++synced === clients.length)
      process.send?.({ event: 'synced', at: Date.now(), bytes: clients.reduce((n, c) => n + c.bytes, 0) });
  };
  if (clients.length === 0) clients = nodes.map((n, i) => new Client(i, n));
  for (const c of clients) {
    c.bytes = 0;
    c.channel ??= dial(address, c.node.ns);
    c.open(withVersions, () => onSynced(c.index));
  }
}

/** The floor: a server writes the same bytes to every stream, each on its own connection; we time receipt. */
function raw(address: string, nodes: NodeSpec[]): void {
  let got = 0;
  let opened = 0;
  const channels: grpc.Client[] = [];
  for (const n of nodes) {
    const ch = dial(address, n.ns);
    channels.push(ch);
    const call = ch.makeBidiStreamRequest('/bench.Raw/Stream', identity, identity);
    call.on('data', () => {
      if (++got === nodes.length) {
        process.send?.({ event: 'raw-done', at: Date.now() });
        for (const c of channels) c.close();
      }
    });
    call.on('error', () => undefined);
    call.write(Buffer.from([1]));
    opened++;
  }
  process.send?.({ event: 'raw-ready', opened });
}

process.on('message', (m: Msg) => {
  if (m.tls) {
    tls = m.tls;
    creds.clear();
  }
  if (m.cmd === 'start') start(m.address ?? '', m.nodes ?? [], false);
  // A new stream on the same connection, holding versions.
  if (m.cmd === 'reconnect') {
    for (const c of clients) c.call?.cancel();
    start(m.address ?? '', m.nodes ?? [], true);
  }
  // The connection closed and dialled again (a new TLS handshake), holding versions.
  if (m.cmd === 'redial') {
    for (const c of clients) {
      c.call?.cancel();
      c.channel?.close();
      c.channel = undefined;
    }
    start(m.address ?? '', m.nodes ?? [], true);
  }
  if (m.cmd === 'raw') raw(m.address ?? '', m.nodes ?? []);
  if (m.cmd === 'report') process.send?.({ event: 'report', receipts: receipts.splice(0) });
  if (m.cmd === 'exit') {
    for (const c of clients) {
      c.call?.cancel();
      c.channel?.close();
    }
    process.exit(0);
  }
});
