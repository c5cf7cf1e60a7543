// A scripted ADS client written from the xDS protocol rules, independent of
// the server's own framing: it uses proto-loader's generated service client,
// so requests and responses are encoded by protobufjs from Envoy's protos.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { envoyIncludeDirs } from '../../src/envoy/proto-paths';
import { decodeMessage, type MessageName } from '../../src/envoy';

const definition = protoLoader.loadSync(
  ['envoy/service/discovery/v3/ads.proto', 'envoy/service/status/v3/csds.proto'],
  { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: envoyIncludeDirs() },
);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pkg = grpc.loadPackageDefinition(definition) as any;
const AdsClient = pkg.envoy.service.discovery.v3.AggregatedDiscoveryService as typeof grpc.Client;
const CsdsClient = pkg.envoy.service.status.v3.ClientStatusDiscoveryService as typeof grpc.Client;

export interface AnyMsg {
  type_url: string;
  value: Buffer;
}
export interface SotwResponse {
  version_info: string;
  resources: AnyMsg[];
  type_url: string;
  nonce: string;
  control_plane: { identifier: string } | null;
}
export interface DeltaResource {
  name: string;
  version: string;
  resource: AnyMsg | null;
}
export interface DeltaResponse {
  system_version_info: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

export interface NodeSpec {
  id: string;
  cluster?: string;
  metadata?: Record<string, string | Record<string, string>>;
}

function toStruct(m: Record<string, string | Record<string, string>> = {}) {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    fields[k] = typeof v === 'string' ? { stringValue: v } : { structValue: toStruct(v) };
  }
  return { fields };
}

export function nodeOf(spec: NodeSpec) {
  return { id: spec.id, cluster: spec.cluster ?? 'Kubernetes', metadata: toStruct(spec.metadata) };
}

/** Decodes an Any carried in a response with the real Envoy message type. */
export function unpack<T = Record<string, unknown>>(any: AnyMsg): T {
  const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1) as MessageName;
  return decodeMessage(name, any.value) as T;
}

class Inbox<T> {
  private readonly items: T[] = [];
  private waiters: Array<(v: T) => void> = [];
  error?: grpc.ServiceError;
  ended = false;
  private endWaiters: Array<() => void> = [];

  push(v: T): void {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  }

  end(err?: grpc.ServiceError): void {
    this.ended = true;
    this.error ??= err;
    for (const w of this.endWaiters) w();
    this.endWaiters = [];
  }

  next(timeoutMs: number, what: string): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(
          new Error(`no ${what} within ${timeoutMs} ms${this.error ? ` (stream error: ${this.error.message})` : ''}`),
        );
      }, timeoutMs);
      const done = (x: T) => {
        clearTimeout(t);
        resolve(x);
      };
      this.waiters.push(done);
    });
  }

  async none(ms: number, what: string): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.items.length > 0) throw new Error(`unexpected ${what}: ${JSON.stringify(this.items[0]).slice(0, 300)}`);
  }

  get size(): number {
    return this.items.length;
  }

  drain(): T[] {
    return this.items.splice(0);
  }

  closed(timeoutMs: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('stream did not close')), timeoutMs);
      this.endWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

abstract class BaseClient<Resp> {
  protected readonly client: grpc.Client;
  protected readonly call: grpc.ClientDuplexStream<unknown, Resp>;
  readonly inbox = new Inbox<Resp>();
  /** Requests written and responses received on this stream, and the last response's nonce. */
  sent = 0;
  received = 0;
  lastNonce = '';

  private readonly ownsClient: boolean;

  constructor(
    address: string,
    ctor: typeof grpc.Client,
    method: string,
    options: grpc.ClientOptions = {},
    shared?: grpc.Client,
  ) {
    this.ownsClient = !shared;
    this.client = shared ?? new ctor(address, grpc.credentials.createInsecure(), options);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    this.call = (this.client as any)[method]();
    this.call.on('data', (r: Resp) => {
      this.received++;
      this.lastNonce = (r as { nonce?: string }).nonce ?? '';
      this.inbox.push(r);
    });
    this.call.on('error', (e: grpc.ServiceError) => this.inbox.end(e));
    this.call.on('end', () => this.inbox.end());
  }

  next(timeoutMs = 3000): Promise<Resp> {
    return this.inbox.next(timeoutMs, 'response');
  }

  /** Responses received and not yet taken with next(). */
  get unread(): number {
    return this.inbox.size;
  }

  /** Asserts nothing arrives for `ms`. */
  expectNone(ms = 300): Promise<void> {
    return this.inbox.none(ms, 'response');
  }

  get error(): grpc.ServiceError | undefined {
    return this.inbox.error;
  }

  /** Stops reading from the network, so the server's writes back up. */
  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  close(): void {
    this.call.end();
    this.call.cancel();
    if (this.ownsClient) this.client.close();
  }
}

/** State-of-the-world ADS client. */
export class SotwClient extends BaseClient<SotwResponse> {
  private nodeSent = false;
  /** Like a real client, every request repeats the current subscription unless told otherwise. */
  private readonly subscribed = new Map<string, string[]>();
  constructor(
    address: string,
    private readonly node: NodeSpec,
    options?: grpc.ClientOptions,
    shared?: grpc.Client,
  ) {
    super(address, AdsClient, 'StreamAggregatedResources', options, shared);
  }

  send(req: {
    type_url: string;
    resource_names?: string[];
    version_info?: string;
    response_nonce?: string;
    error_detail?: { code: number; message: string };
    withNode?: boolean;
  }): void {
    const withNode = req.withNode ?? !this.nodeSent;
    this.nodeSent = true;
    this.sent++;
    const names = req.resource_names ?? this.subscribed.get(req.type_url) ?? [];
    this.subscribed.set(req.type_url, names);
    this.call.write({
      node: withNode ? nodeOf(this.node) : undefined,
      type_url: req.type_url,
      resource_names: names,
      version_info: req.version_info ?? '',
      response_nonce: req.response_nonce ?? '',
      error_detail: req.error_detail,
    });
  }

  ack(r: SotwResponse, names?: string[]): void {
    this.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names });
  }

  nack(r: SotwResponse, message: string, names?: string[], versionInfo = ''): void {
    this.send({
      type_url: r.type_url,
      version_info: versionInfo,
      response_nonce: r.nonce,
      resource_names: names,
      error_detail: { code: 3, message },
    });
  }
}

/** Incremental ADS client; keeps the name -> version map a real client holds. */
export class DeltaClient extends BaseClient<DeltaResponse> {
  private nodeSent = false;
  readonly held = new Map<string, Map<string, string>>();

  constructor(
    address: string,
    private readonly node: NodeSpec,
    options?: grpc.ClientOptions,
    shared?: grpc.Client,
  ) {
    super(address, AdsClient, 'DeltaAggregatedResources', options, shared);
    this.call.on('data', (r: DeltaResponse) => this.apply(r));
  }

  private apply(r: DeltaResponse): void {
    let m = this.held.get(r.type_url);
    if (!m) this.held.set(r.type_url, (m = new Map()));
    for (const res of r.resources) m.set(res.name, res.version);
    for (const n of r.removed_resources) m.delete(n);
  }

  send(req: {
    type_url: string;
    subscribe?: string[];
    unsubscribe?: string[];
    initial_resource_versions?: Record<string, string>;
    response_nonce?: string;
    error_detail?: { code: number; message: string };
  }): void {
    const withNode = !this.nodeSent;
    this.nodeSent = true;
    this.sent++;
    this.call.write({
      node: withNode ? nodeOf(this.node) : undefined,
      type_url: req.type_url,
      resource_names_subscribe: req.subscribe ?? [],
      resource_names_unsubscribe: req.unsubscribe ?? [],
      initial_resource_versions: req.initial_resource_versions ?? {},
      response_nonce: req.response_nonce ?? '',
      error_detail: req.error_detail,
    });
  }

  ack(r: DeltaResponse): void {
    this.send({ type_url: r.type_url, response_nonce: r.nonce });
  }

  nack(r: DeltaResponse, message: string): void {
    this.send({ type_url: r.type_url, response_nonce: r.nonce, error_detail: { code: 3, message } });
  }

  heldVersions(typeUrl: string): Record<string, string> {
    return Object.fromEntries(this.held.get(typeUrl) ?? []);
  }
}

/** One channel for many streams (HTTP/2 multiplexed), as a fleet test needs. */
export function adsChannel(
  address: string,
  creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
): grpc.Client {
  return new AdsClient(address, creds, options);
}

/** CSDS client. */
export function csdsClient(
  address: string,
  creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): grpc.Client & {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  FetchClientStatus: (req: unknown, cb: (err: grpc.ServiceError | null, res: any) => void) => void;
} {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return new CsdsClient(address, creds) as any;
}
