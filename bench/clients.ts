// Child process: many Delta ADS clients, each a waypoint proxy, as the
// benchmark's load. Talks to the parent over IPC: it reports when every
// client is synced and, on request, when each response arrived and how many
// bytes it carried. Kept apart from the server so their CPU is not shared.
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, TypeUrl } from '../src/envoy';

const identity = (b: Buffer) => b;
const TYPES = [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route];

interface Msg {
  cmd: 'start' | 'report' | 'reconnect' | 'raw' | 'exit';
  address?: string;
  nodes?: { id: string; ns: string; waypoint: string }[];
}

interface Receipt {
  client: number;
  type: string;
  at: number;
  bytes: number;
}

const receipts: Receipt[] = [];
let clients: Client[] = [];
const channels: grpc.Client[] = [];

class Client {
  held = new Map<string, Map<string, string>>();
  synced = new Set<string>();
  call?: grpc.ClientDuplexStream<Buffer, Buffer>;
  bytes = 0;

  constructor(
    readonly index: number,
    readonly node: { id: string; ns: string; waypoint: string },
  ) {}

  open(channel: grpc.Client, withVersions: boolean, onSynced: () => void): void {
    this.synced.clear();
    const call = channel.makeBidiStreamRequest(
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
    call.on('error', () => undefined);
    subscribe(TypeUrl.Cluster, ['*']);
  }
}

function start(address: string, nodes: NonNullable<Msg['nodes']>, withVersions: boolean): void {
  let synced = 0;
  const done = new Set<number>();
  const onSynced = (i: number) => {
    if (done.has(i)) return;
    done.add(i);
    if (++synced === clients.length)
      process.send?.({ event: 'synced', at: Date.now(), bytes: clients.reduce((n, c) => n + c.bytes, 0) });
  };
  if (channels.length === 0)
    for (let i = 0; i < Math.ceil(nodes.length / 100); i++)
      channels.push(new grpc.Client(address, grpc.credentials.createInsecure()));
  if (clients.length === 0) clients = nodes.map((n, i) => new Client(i, n));
  for (const c of clients) {
    c.bytes = 0;
    c.open(channels[c.index % channels.length]!, withVersions, () => onSynced(c.index));
  }
}

/** The floor: a server writes the same bytes to every stream; we time receipt. */
function raw(address: string, count: number): void {
  const ch = new grpc.Client(address, grpc.credentials.createInsecure());
  let got = 0;
  let last = 0;
  for (let i = 0; i < count; i++) {
    const call = ch.makeBidiStreamRequest('/bench.Raw/Stream', identity, identity);
    call.on('data', () => {
      last = Date.now();
      if (++got === count) process.send?.({ event: 'raw-done', at: last });
    });
    call.on('error', () => undefined);
    call.write(Buffer.from([1]));
  }
  process.send?.({ event: 'raw-ready' });
}

process.on('message', (m: Msg) => {
  if (m.cmd === 'start') start(m.address ?? '', m.nodes ?? [], false);
  if (m.cmd === 'reconnect') {
    for (const c of clients) c.call?.cancel();
    start(m.address ?? '', m.nodes ?? [], true);
  }
  if (m.cmd === 'raw') raw(m.address ?? '', m.nodes?.length ?? 0);
  if (m.cmd === 'report') process.send?.({ event: 'report', receipts: receipts.splice(0) });
  if (m.cmd === 'exit') {
    for (const c of clients) c.call?.cancel();
    for (const ch of channels) ch.close();
    process.exit(0);
  }
});
