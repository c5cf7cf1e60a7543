import type * as grpc from '@grpc/grpc-js';

// Service definitions with identity codecs: requests arrive as bytes and are
// decoded by the handlers (so a malformed message becomes a clear error for
// that stream alone), and responses leave as bytes assembled from resources
// encoded once.
const identity = (b: Buffer): Buffer => b;

function method(path: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const CSDS_SERVICE = 'envoy.service.status.v3.ClientStatusDiscoveryService';

export const adsDefinition = {
  StreamAggregatedResources: method(`/${ADS_SERVICE}/StreamAggregatedResources`, true, true),
  DeltaAggregatedResources: method(`/${ADS_SERVICE}/DeltaAggregatedResources`, true, true),
} satisfies grpc.ServiceDefinition;

export const csdsDefinition = {
  StreamClientStatus: method(`/${CSDS_SERVICE}/StreamClientStatus`, true, true),
  FetchClientStatus: method(`/${CSDS_SERVICE}/FetchClientStatus`, false, false),
} satisfies grpc.ServiceDefinition;
