import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type OutputTypeMap } from '../envoy';
import { CommandError } from './errors';

/** Flags of the commands that ask a running server over xDS. */
export const XDS_DIAL_FLAGS = {
  'xds-ca-file': { type: 'string' },
  'xds-token-file': { type: 'string' },
  'xds-cert-file': { type: 'string' },
  'xds-key-file': { type: 'string' },
  authority: { type: 'string' },
  'xds-authority': { type: 'string' },
} as const;

export const XDS_DIAL_USAGE = `  --xds-ca-file PATH      connect with TLS (the server's port 15012), trusting this CA
  --xds-token-file PATH   present this service-account token (audience istio-ca)
  --xds-cert-file PATH    present this client certificate (with --xds-key-file)
  --authority NAME        the server name to verify and send as :authority, for a
                          port-forward to 127.0.0.1 (alias --xds-authority)`;

/** How to dial: credentials plus the channel options an authority override needs. */
export interface Dial {
  creds: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/**
 * Credentials and, with --authority, the name checked against the server's
 * certificate and sent as :authority (istioctl clioptions/central.go: the
 * --authority flag, its XDSSAN).
 */
export function dialOf(
  values: Parameters<typeof dialCredentials>[0] & { authority?: string; 'xds-authority'?: string },
): Dial {
  const authority = values.authority ?? values['xds-authority'];
  if (
    values.authority !== undefined &&
    values['xds-authority'] !== undefined &&
    values.authority !== values['xds-authority']
  )
    throw new CommandError('--authority and --xds-authority name different servers');
  return {
    creds: dialCredentials(values),
    options: authority ? { 'grpc.ssl_target_name_override': authority, 'grpc.default_authority': authority } : {},
  };
}

const PLAINTEXT: Dial = { creds: grpc.credentials.createInsecure(), options: {} };

/** How to reach the server: plaintext unless a TLS flag is given. */
export function dialCredentials(values: {
  'xds-ca-file'?: string;
  'xds-token-file'?: string;
  'xds-cert-file'?: string;
  'xds-key-file'?: string;
}): grpc.ChannelCredentials {
  const read = (flag: string, path: string | undefined) => {
    if (path === undefined) return null;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new CommandError(`--${flag}: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const ca = read('xds-ca-file', values['xds-ca-file']);
  const cert = read('xds-cert-file', values['xds-cert-file']);
  const key = read('xds-key-file', values['xds-key-file']);
  const token = read('xds-token-file', values['xds-token-file'])?.toString().trim();
  if ((cert === null) !== (key === null)) throw new CommandError('--xds-cert-file and --xds-key-file go together');
  if (!ca && !cert && !token) return grpc.credentials.createInsecure();
  const tls = grpc.credentials.createSsl(ca, key, cert);
  return token ? withBearer(tls, token) : tls;
}

/** TLS credentials that also present `token` as `authorization: Bearer …` on every call, as a proxy does. */
export function withBearer(tls: grpc.ChannelCredentials, token: string): grpc.ChannelCredentials {
  return grpc.credentials.combineChannelCredentials(
    tls,
    grpc.credentials.createFromMetadataGenerator((_p, cb) => {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      cb(null, md);
    }),
  );
}

type Response = OutputTypeMap['envoy.service.discovery.v3.DiscoveryResponse'];

const identity = (b: Buffer) => b;

/** Opens one ADS stream, sends `request`, and resolves with the first response decoded as `responseType`. */
function firstResponse<T>(
  address: string,
  method: string,
  request: Buffer,
  decode: (b: Buffer) => T,
  timeoutMs: number,
  dial: Dial,
): Promise<T> {
  const client = new grpc.Client(address, dial.creds, dial.options);
  return new Promise<T>((resolve, reject) => {
    const done = (err?: Error, res?: T) => {
      clearTimeout(timer);
      call.cancel();
      client.close();
      if (err) reject(err);
      else resolve(res as T);
    };
    const timer = setTimeout(
      () =>
        done(
          new CommandError(
            `no answer from the control plane at ${address} within ${timeoutMs / 1000}s (is \`istiod-lite serve\` running? use --xds-address)`,
          ),
        ),
      timeoutMs,
    );
    const call = client.makeBidiStreamRequest(
      `/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`,
      identity,
      identity,
    );
    call.on('data', (b: Buffer) => {
      try {
        done(undefined, decode(b));
      } catch (e) {
        done(new CommandError(`bad response from ${address}: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (e.code !== grpc.status.CANCELLED)
        done(new CommandError(`cannot reach the control plane at ${address}: ${e.details || e.message}`));
    });
    call.write(request);
  });
}

/**
 * Asks a running server for one debug type over ADS (how istioctl reads
 * syncz). Fails within `timeoutMs` with a message naming the address.
 */
export function queryXds(
  address: string,
  typeUrl: string,
  timeoutMs = 5000,
  resourceNames: string[] = [],
  dial: Dial = PLAINTEXT,
): Promise<Response> {
  const request = encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', {
    node: { id: `debug~127.0.0.1~istiod-lite-cli-${process.pid}.cli~cli.svc.cluster.local` },
    type_url: typeUrl,
    resource_names: resourceNames,
  });
  return firstResponse(
    address,
    'StreamAggregatedResources',
    request,
    (b) => decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', b),
    timeoutMs,
    dial,
  );
}

type DeltaResponse = OutputTypeMap['envoy.service.discovery.v3.DeltaDiscoveryResponse'];

/** Subscribes to everything of one type over Delta ADS, as ztunnel does, and returns the first answer. */
export function queryDelta(
  address: string,
  typeUrl: string,
  nodeId: string,
  timeoutMs = 5000,
  dial: Dial = PLAINTEXT,
): Promise<DeltaResponse> {
  const request = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
    node: { id: nodeId },
    type_url: typeUrl,
    resource_names_subscribe: ['*'],
  });
  return firstResponse(
    address,
    'DeltaAggregatedResources',
    request,
    (b) => decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', b),
    timeoutMs,
    dial,
  );
}
