import * as grpc from '@grpc/grpc-js';

/**
 * A gRPC server with one bidirectional method that passes bytes through
 * untouched: the floor's server, which writes prepared bytes to each client's
 * stream and does nothing else. The streams are collected as they open.
 */
export function rawStreamServer(): { server: grpc.Server; calls: grpc.ServerDuplexStream<Buffer, Buffer>[] } {
  const calls: grpc.ServerDuplexStream<Buffer, Buffer>[] = [];
  const server = new grpc.Server();
  const id = (b: Buffer) => b;
  server.addService(
    {
      Stream: {
        path: '/bench.Raw/Stream',
        requestStream: true,
        responseStream: true,
        requestSerialize: id,
        requestDeserialize: id,
        responseSerialize: id,
        responseDeserialize: id,
      },
    },
    { Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void calls.push(call) },
  );
  return { server, calls };
}
