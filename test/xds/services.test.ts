import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EncodedMessage } from '../../src/xds/frame';
import { adsDefinition, type OutgoingMessage, serializeResponse } from '../../src/xds/services';

const identity = (b: Buffer) => b;

describe('ADS response serialization', () => {
  it('joins pieces exactly', () => {
    const m = new EncodedMessage([Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cde')]);
    assert.equal(m.length, 5);
    assert.equal(serializeResponse(m).toString(), 'abcde');
    assert.equal(m.toBuffer().toString(), 'abcde');
    const b = Buffer.from('raw');
    assert.equal(serializeResponse(b), b);
  });

  // serializeResponse reuses one buffer for every response; that is only
  // sound while grpc-js copies the serializer's result before serializing
  // the next message. Many large writes, queued at once on several streams,
  // must each arrive intact.
  it('delivers back-to-back responses on many streams intact (grpc-js copies at once)', async () => {
    const server = new grpc.Server();
    server.addService(adsDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, OutgoingMessage>) => call.end(),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, OutgoingMessage>) => {
        call.once('data', (b: Buffer) => {
          const stream = b[0]!;
          for (let i = 0; i < 20; i++) {
            const fill = (stream * 20 + i) % 251;
            call.write(new EncodedMessage([Buffer.from([stream, i]), Buffer.alloc(50_000 + i * 1000, fill)]));
          }
          call.end();
        });
      },
    });
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      await Promise.all(
        Array.from({ length: 5 }, (_, stream) => {
          const call = client.makeBidiStreamRequest(
            `/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources`,
            identity,
            identity,
          );
          const got: Buffer[] = [];
          call.on('data', (b: Buffer) => got.push(b));
          call.write(Buffer.from([stream]));
          call.end();
          return new Promise<void>((resolve, reject) => {
            call.on('error', reject);
            call.on('end', () => {
              try {
                assert.equal(got.length, 20);
                for (const [i, b] of got.entries()) {
                  const fill = (stream * 20 + i) % 251;
                  assert.deepEqual([b[0], b[1]], [stream, i]);
                  assert.equal(b.length, 2 + 50_000 + i * 1000);
                  assert.ok(
                    b.subarray(2).every((x) => x === fill),
                    `stream ${stream} message ${i} corrupted`,
                  );
                }
                resolve();
              } catch (e) {
                reject(e as Error);
              }
            });
          });
        }),
      );
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
