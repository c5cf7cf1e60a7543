// A plain grpc-js server whose one method answers with the server's own name,
// so a test can see which backend a call was routed to.
import * as grpc from '@grpc/grpc-js';

export const ECHO_SERVICE = 'test.Echo';
const identity = (b: Buffer) => b;

const unary = (name: string) => ({
  path: `/${ECHO_SERVICE}/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

export const echoMethods = { Hello: unary('Hello'), Slow: unary('Slow') } satisfies grpc.ServiceDefinition;

export async function startEcho(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new grpc.Server();
  server.addService(echoMethods, {
    Hello: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)),
    Slow: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
      void setTimeout(() => cb(null, Buffer.from(name)), 1000),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

/** Calls Hello on `client` and returns the answering backend's name. */
export function hello(
  client: grpc.Client,
  metadata = new grpc.Metadata(),
  timeoutMs = 5000,
  method: 'Hello' | 'Slow' = 'Hello',
): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      echoMethods[method].path,
      identity,
      identity,
      Buffer.alloc(0),
      metadata,
      { deadline: Date.now() + timeoutMs },
      (err: grpc.ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!.toString())),
    );
  });
}
