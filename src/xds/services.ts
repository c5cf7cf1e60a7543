import type * as grpc from '@grpc/grpc-js';
import { EncodedMessage } from './frame';

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

/** What an ADS handler writes: bytes, or a response still in pieces. */
export type OutgoingMessage = Buffer | EncodedMessage;

/** Responses up to this size are joined in the shared scratch buffer; larger ones get their own. */
const SCRATCH_MAX = 16 << 20;
let scratch = Buffer.allocUnsafeSlow(0);

/**
 * Joins a response for gRPC. grpc-js copies what the serializer returns into
 * its own length-prefixed frame at once, in the same call
 * (ServerInterceptingCall.serializeMessage), so the join can go into one
 * buffer reused by every stream instead of a new one per stream and response.
 * test/xds/services.test.ts checks that grpc-js still copies.
 */
export function serializeResponse(m: OutgoingMessage): Buffer {
  if (!(m instanceof EncodedMessage)) return m;
  if (m.length > SCRATCH_MAX) return m.toBuffer();
  if (scratch.length < m.length)
    scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(m.length, 2 * scratch.length)));
  return m.writeTo(scratch);
}

function adsMethod(path: string): grpc.MethodDefinition<Buffer, OutgoingMessage> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: serializeResponse,
    responseDeserialize: identity,
  };
}

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const CSDS_SERVICE = 'envoy.service.status.v3.ClientStatusDiscoveryService';

export const adsDefinition = {
  StreamAggregatedResources: adsMethod(`/${ADS_SERVICE}/StreamAggregatedResources`),
  DeltaAggregatedResources: adsMethod(`/${ADS_SERVICE}/DeltaAggregatedResources`),
} satisfies grpc.ServiceDefinition;

export const csdsDefinition = {
  StreamClientStatus: method(`/${CSDS_SERVICE}/StreamClientStatus`, true, true),
  FetchClientStatus: method(`/${CSDS_SERVICE}/FetchClientStatus`, false, false),
} satisfies grpc.ServiceDefinition;
