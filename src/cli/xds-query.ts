import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type OutputTypeMap } from '../envoy';
import { CommandError } from './errors';

type Response = OutputTypeMap['envoy.service.discovery.v3.DiscoveryResponse'];

const identity = (b: Buffer) => b;

/** Opens one ADS stream, sends `request`, and resolves with the first response decoded as `responseType`. */
function firstResponse<T>(
  address: string,
  method: string,
  request: Buffer,
  decode: (b: Buffer) => T,
  timeoutMs: number,
): Promise<T> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
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
  );
}

type DeltaResponse = OutputTypeMap['envoy.service.discovery.v3.DeltaDiscoveryResponse'];

/** Subscribes to everything of one type over Delta ADS, as ztunnel does, and returns the first answer. */
export function queryDelta(address: string, typeUrl: string, nodeId: string, timeoutMs = 5000): Promise<DeltaResponse> {
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
  );
}
