import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type OutputTypeMap } from '../envoy';
import { CommandError } from './errors';

type Response = OutputTypeMap['envoy.service.discovery.v3.DiscoveryResponse'];

const identity = (b: Buffer) => b;

/**
 * Asks a running server for one debug type over ADS (how istioctl reads
 * syncz) and returns the response. Fails within `timeoutMs` with a message
 * naming the address when nothing answers.
 */
export function queryXds(
  address: string,
  typeUrl: string,
  timeoutMs = 5000,
  resourceNames: string[] = [],
): Promise<Response> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<Response>((resolve, reject) => {
    const done = (err?: Error, res?: Response) => {
      clearTimeout(timer);
      call.cancel();
      client.close();
      if (err) reject(err);
      else if (res) resolve(res);
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
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      identity,
      identity,
    );
    call.on('data', (b: Buffer) => {
      try {
        done(undefined, decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', b));
      } catch (e) {
        done(new CommandError(`bad response from ${address}: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (e.code !== grpc.status.CANCELLED)
        done(new CommandError(`cannot reach the control plane at ${address}: ${e.details || e.message}`));
    });
    call.write(
      encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', {
        node: { id: `debug~127.0.0.1~istiod-lite-cli-${process.pid}.cli~cli.svc.cluster.local` },
        type_url: typeUrl,
        resource_names: resourceNames,
      }),
    );
  });
}

type DeltaResponse = OutputTypeMap['envoy.service.discovery.v3.DeltaDiscoveryResponse'];

/** Subscribes to everything of one type over Delta ADS, as ztunnel does, and returns the first answer. */
export function queryDelta(address: string, typeUrl: string, nodeId: string, timeoutMs = 5000): Promise<DeltaResponse> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<DeltaResponse>((resolve, reject) => {
    const done = (err?: Error, res?: DeltaResponse) => {
      clearTimeout(timer);
      call.cancel();
      client.close();
      if (err) reject(err);
      else if (res) resolve(res);
    };
    const timer = setTimeout(
      () => done(new CommandError(`no answer from the control plane at ${address} within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    const call = client.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
      identity,
      identity,
    );
    call.on('data', (b: Buffer) => {
      try {
        done(undefined, decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', b));
      } catch (e) {
        done(new CommandError(`bad response from ${address}: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (e.code !== grpc.status.CANCELLED)
        done(new CommandError(`cannot reach the control plane at ${address}: ${e.details || e.message}`));
    });
    call.write(
      encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
        node: { id: nodeId },
        type_url: typeUrl,
        resource_names_subscribe: ['*'],
      }),
    );
  });
}
