// The webhook's HTTPS endpoint: what a caller sees for good, bad and
// malformed requests, and a fixed-seed fuzz of bodies (never a 5xx, never a
// hang, every denial naming a field).
import { strict as assert } from 'node:assert';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startWebhookServer, type WebhookServer } from '../../src/webhook/server';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { mutate, rng } from '../support/fuzz';

interface Reply {
  code: number;
  body: string;
}

describe('webhook HTTPS endpoint', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let ca: TestCa;
  let hook: WebhookServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const send = (body: Buffer | string, opts: { path?: string; method?: string; type?: string } = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: hook.port,
          path: opts.path ?? '/validate',
          method: opts.method ?? 'POST',
          headers: { 'content-type': opts.type ?? 'application/json' },
          ca: ca.read(ca.caFile),
          servername: 'localhost',
          agent,
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
        },
      );
      req.setTimeout(5000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });

  const reviewOf = (object: unknown, operation = 'CREATE') =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u1', operation, object },
    });
  const policy = (ipBlock: string) => ({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'p', namespace: 'default' },
    spec: { rules: [{ from: [{ source: { ipBlocks: [ipBlock] } }] }] },
  });

  before(async () => {
    ca = makeCa();
    const cert = ca.issue('webhook', ['DNS:localhost']);
    hook = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: cert.cert,
      keyFile: cert.key,
      log: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    agent.destroy();
    await hook.close();
    ca.remove();
  });

  it('allows a valid object and denies an invalid one with the field path, echoing the uid', async () => {
    const ok = await send(reviewOf(policy('10.0.0.0/8')));
    assert.equal(ok.code, 200);
    assert.deepEqual(JSON.parse(ok.body), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u1', allowed: true },
    });
    const bad = await send(reviewOf(policy('10.0.0.300')));
    assert.deepEqual(JSON.parse(bad.body).response, {
      uid: 'u1',
      allowed: false,
      status: {
        code: 400,
        message: 'configuration is invalid: spec.rules[0].from[0].source.ipBlocks[0]: bad IP address (10.0.0.300)',
      },
    });
    const del = await send(reviewOf(policy('10.0.0.300'), 'DELETE'));
    assert.equal(JSON.parse(del.body).response.allowed, true, 'deletes are never refused');
    const other = await send(reviewOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }));
    assert.equal(JSON.parse(other.body).response.allowed, true, 'kinds we do not read are not ours to judge');
  });

  it('answers malformed requests with 4xx', async () => {
    assert.equal((await send('{}', { path: '/other' })).code, 404);
    assert.equal((await send('', { method: 'GET' })).code, 405);
    assert.equal((await send('{}', { type: 'text/plain' })).code, 415);
    assert.equal((await send('{nope')).code, 400);
    assert.equal((await send('{"kind":"AdmissionReview"}')).code, 400);
    assert.equal((await send(Buffer.alloc(9 << 20, 32))).code, 413);
  });

  it('fuzz: 1500 mutated bodies, never a 5xx; every denial names a field', async () => {
    const r = rng(2026);
    const seeds = [reviewOf(policy('10.0.0.0/8')), reviewOf(policy('203.0.113.0/24x'))].map((s) => Buffer.from(s));
    const codes = new Map<number, number>();
    for (let i = 0; i < 1500; i++) {
      const reply = await send(mutate(seeds[i % 2]!, r));
      codes.set(reply.code, (codes.get(reply.code) ?? 0) + 1);
      assert.ok(reply.code === 200 || reply.code === 400, `HTTP ${reply.code}: ${reply.body}`);
      if (reply.code !== 200) continue;
      const res = (JSON.parse(reply.body) as { response: { allowed: boolean; status?: { message: string } } }).response;
      if (!res.allowed)
        assert.match(
          res.status?.message ?? '',
          /^configuration is invalid: (spec|metadata|request|apiVersion|kind)\b[^:]*: /,
        );
    }
    assert.ok((codes.get(200) ?? 0) > 0 && (codes.get(400) ?? 0) > 0, JSON.stringify([...codes]));
  });
});
