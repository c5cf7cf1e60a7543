import { strict as assert } from 'node:assert';
import { copyFileSync } from 'node:fs';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { DebugTypeUrl, encodeMessage, TypeUrl } from '../../src/envoy';
import { LABEL } from '../../src/model';
import { proxyAccess } from '../../src/server/proxy-auth';
import { ZTUNNEL_KEY } from '../../src/server/proxy-key';
import { tlsCredentials } from '../../src/server/tls';
import { withBearer } from '../../src/cli/xds-query';
import { isLoopback, mayReadDebug } from '../../src/debug/server';
import {
  AuthError,
  CertificateAuthenticator,
  TokenReviewAuthenticator,
  type ProxyInfo,
  type TokenReviewStatus,
} from '../../src/xds';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { mutate, rng } from '../support/fuzz';
import { cluster } from '../support/resources';
import { adsChannel, csdsClient, DeltaClient, SotwClient, unpack } from '../support/xds-client';
import { until } from '../support/until';
import { startXds, waitFor } from '../support/xds-harness';

const WP = 'waypoint~10.0.0.1~waypoint-5d8f-abcde.app~app.svc.cluster.local';
const WP_META = { NAMESPACE: 'app', LABELS: { [LABEL.gatewayName]: 'waypoint' } };
const ZT = 'ztunnel~10.0.0.9~ztunnel-x1.istio-system~istio-system.svc.cluster.local';
const OTHER_NS = 'waypoint~10.0.1.1~waypoint-77-zzzzz.shop~shop.svc.cluster.local';

const TOKENS: Record<string, TokenReviewStatus> = {
  'tok-waypoint': {
    authenticated: true,
    user: { username: 'system:serviceaccount:app:waypoint' },
    audiences: ['istio-ca'],
  },
  'tok-app-other': {
    authenticated: true,
    user: { username: 'system:serviceaccount:app:other' },
    audiences: ['istio-ca'],
  },
  'tok-shop': {
    authenticated: true,
    user: { username: 'system:serviceaccount:shop:waypoint' },
    audiences: ['istio-ca'],
  },
  'tok-admin': {
    authenticated: true,
    user: { username: 'system:serviceaccount:istio-system:istiod' },
    audiences: ['istio-ca'],
  },
  'tok-ztunnel': {
    authenticated: true,
    user: { username: 'system:serviceaccount:istio-system:ztunnel' },
    audiences: ['istio-ca'],
  },
  'tok-fresh': {
    authenticated: true,
    user: { username: 'system:serviceaccount:app:waypoint' },
    audiences: ['istio-ca'],
  },
  // An empty audience list means the API server's own audience, not ours.
  'tok-api-aud': { authenticated: true, user: { username: 'system:serviceaccount:app:waypoint' } },
  'tok-user': { authenticated: true, user: { username: 'alice@example.com' }, audiences: ['istio-ca'] },
  'tok-kube-aud': {
    authenticated: true,
    user: { username: 'system:serviceaccount:app:waypoint' },
    audiences: ['kube'],
  },
};

function review(token: string): Promise<TokenReviewStatus> {
  return Promise.resolve(TOKENS[token] ?? { authenticated: false, error: 'invalid bearer token' });
}

/** Waypoints by their gateway-name label, ztunnel by its proxy type; what `serve` does, without an index. */
const keys = new Map<string, string>();
function proxyKey(p: ProxyInfo): string | undefined {
  if (keys.has(p.nodeId)) return keys.get(p.nodeId);
  if (p.proxyType === 'ztunnel') return ZTUNNEL_KEY;
  const gw = p.labels[LABEL.gatewayName];
  return gw ? `${p.namespace}/${gw}` : undefined;
}

async function refusal(c: DeltaClient | SotwClient): Promise<grpc.ServiceError> {
  await c.inbox.closed(3000);
  assert.ok(c.error, 'stream ended without an error');
  return c.error;
}

describe('authentication and authorization on the TLS port', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let ca: TestCa;
  let x: Awaited<ReturnType<typeof startXds>>;
  let tlsAddress: string;
  let reviews = 0;
  /** Answers to the `slow-…` token reviews in flight, by token. */
  const slowReviews = new Map<string, () => void>();
  const channels: grpc.Client[] = [];
  const clients: Array<DeltaClient | SotwClient> = [];

  let issued = 0;
  /** A connection of its own, presenting a token and/or a client certificate with the given SAN. */
  function channel(opts: { token?: string; san?: string } = {}): grpc.Client {
    const c = opts.san ? ca.issue(`client-${++issued}`, [opts.san]) : undefined;
    let creds = grpc.credentials.createSsl(ca.read(ca.caFile), c ? ca.read(c.key) : null, c ? ca.read(c.cert) : null);
    if (opts.token) creds = withBearer(creds, opts.token);
    // Each credential gets its own connection, as separate proxies would.
    const ch = adsChannel(tlsAddress, creds, {
      'grpc.ssl_target_name_override': 'localhost',
      'grpc.use_local_subchannel_pool': 1,
    });
    channels.push(ch);
    return ch;
  }
  function delta(id: string, ch: grpc.Client, metadata: Record<string, string | Record<string, string>> = {}) {
    const c = new DeltaClient(tlsAddress, { id, metadata }, undefined, ch);
    clients.push(c);
    return c;
  }

  before(async () => {
    ca = makeCa();
    const server = ca.issue('server', ['DNS:localhost', 'IP:127.0.0.1']);
    x = await startXds({
      proxyKey,
      access: proxyAccess('istio-system'),
      limits: { preAuthRequests: 4, authTimeoutMs: 500 },
    });
    x.set('app/waypoint', { [TypeUrl.Cluster]: [cluster('app-cluster')] });
    x.set('shop/waypoint', { [TypeUrl.Cluster]: [cluster('shop-cluster')] });
    x.set(ZTUNNEL_KEY, { [TypeUrl.Cluster]: [cluster('zt-only')] });
    const port = await x.server.listen(
      '127.0.0.1:0',
      tlsCredentials({ certFile: server.cert, keyFile: server.key, caFile: ca.caFile }),
      {
        authenticators: [
          new CertificateAuthenticator('cluster.local'),
          new TokenReviewAuthenticator(
            (t) => {
              reviews++;
              // `slow-…` tokens are the waypoint's, answered when the test releases them; `hang` never is.
              if (t === 'hang') return new Promise(() => undefined);
              if (t.startsWith('slow-'))
                return new Promise((resolve) => slowReviews.set(t, () => resolve(review('tok-waypoint'))));
              return review(t);
            },
            { audiences: ['istio-ca'], trustDomain: 'cluster.local' },
          ),
        ],
      },
    );
    tlsAddress = `127.0.0.1:${port}`;
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const ch of channels) ch.close();
    await x.close();
    ca.remove();
  });

  it('serves a waypoint whose service-account token names it', async () => {
    const c = delta(WP, channel({ token: 'tok-waypoint' }), WP_META);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const r = await c.next();
    assert.deepEqual(
      r.resources.map((x) => x.name),
      ['app-cluster'],
    );
  });

  it('serves a waypoint whose client certificate carries its SPIFFE identity', async () => {
    const c = delta(WP, channel({ san: 'URI:spiffe://cluster.local/ns/app/sa/waypoint' }), WP_META);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const r = await c.next();
    assert.deepEqual(
      r.resources.map((x) => x.name),
      ['app-cluster'],
    );
  });

  it('refuses a stream that presents no credentials with UNAUTHENTICATED', async () => {
    const c = delta(WP, channel(), WP_META);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const e = await refusal(c);
    assert.equal(e.code, grpc.status.UNAUTHENTICATED);
    assert.match(e.details, /requires authentication \(certificate or token\)/);
  });

  it('refuses invalid, user and wrong-audience tokens, naming what is wrong', async () => {
    const cases: Array<[string, RegExp]> = [
      ['forged', /token rejected: invalid bearer token/],
      ['tok-user', /token user alice@example.com is not a service account/],
      ['tok-kube-aud', /token is for audiences kube, not istio-ca/],
      ['tok-api-aud', /token is for audiences \(the API server\), not istio-ca/],
    ];
    for (const [token, msg] of cases) {
      const c = delta(WP, channel({ token }), WP_META);
      c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      const e = await refusal(c);
      assert.equal(e.code, grpc.status.UNAUTHENTICATED, token);
      assert.match(e.details, msg);
    }
  });

  it('refuses certificates outside the trust domain or without a SPIFFE identity', async () => {
    const foreign = delta(WP, channel({ san: 'URI:spiffe://evil.example/ns/app/sa/waypoint' }), WP_META);
    foreign.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const e1 = await refusal(foreign);
    assert.equal(e1.code, grpc.status.UNAUTHENTICATED);
    assert.match(e1.details, /outside trust domain cluster.local/);
    const plain = delta(WP, channel({ san: 'DNS:plain.example' }), WP_META);
    plain.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const e2 = await refusal(plain);
    assert.equal(e2.code, grpc.status.UNAUTHENTICATED);
    assert.match(e2.details, /no spiffe:\/\/ URI SAN/);
  });

  it('refuses with PERMISSION_DENIED a proxy acting as something its identity is not', async () => {
    // Another service account in the waypoint's namespace claims to be it.
    const impostor = delta(WP, channel({ token: 'tok-app-other' }), WP_META);
    impostor.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const e1 = await refusal(impostor);
    assert.equal(e1.code, grpc.status.PERMISSION_DENIED);
    assert.match(e1.details, /spiffe:\/\/cluster.local\/ns\/app\/sa\/other may not act as waypoint app\/waypoint/);
    // A valid identity whose node id names another namespace.
    const crossNs = delta(OTHER_NS, channel({ token: 'tok-waypoint' }), {
      NAMESPACE: 'shop',
      LABELS: { [LABEL.gatewayName]: 'waypoint' },
    });
    crossNs.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const e2 = await refusal(crossNs);
    assert.equal(e2.code, grpc.status.PERMISSION_DENIED);
    assert.match(
      e2.details,
      /claims namespace shop but the stream authenticated as spiffe:\/\/cluster.local\/ns\/app\/sa\/waypoint/,
    );
    // A waypoint asking for the workload API as ztunnel.
    const fakeZt = delta(ZT, channel({ token: 'tok-admin' }));
    fakeZt.send({ type_url: TypeUrl.Address, subscribe: ['*'] });
    const e3 = await refusal(fakeZt);
    assert.equal(e3.code, grpc.status.PERMISSION_DENIED);
    assert.match(e3.details, /may not read the workload API \(only istio-system\/ztunnel\)/);
    assert.ok(x.logs.some((l) => l.msg === 'permission denied' && l.identity && /workload API/.test(String(l.reason))));
    // The real ztunnel gets it.
    const zt = delta(ZT, channel({ token: 'tok-ztunnel' }));
    zt.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    assert.deepEqual(
      (await zt.next()).resources.map((r) => r.name),
      ['zt-only'],
    );
  });

  it('holds requests in order until the stream is authenticated, without counting it as connected', async () => {
    const before = x.server.connections.size;
    const c = delta(WP, channel({ token: 'slow-1' }), WP_META);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['app-cluster'] });
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['zt-only'] });
    const release = await until(() => slowReviews.get('slow-1'), 'the token review to start');
    assert.equal(x.server.connections.size, before, 'not yet authenticated, not yet a connection');
    release();
    const r = await c.next(3000);
    assert.deepEqual(
      r.resources.map((res) => res.name),
      ['app-cluster'],
    );
    assert.equal(x.server.connections.size, before + 1);
  });

  it('refuses a stream that floods requests, or stalls, before authentication completes', async () => {
    const flood = delta(WP, channel({ token: 'slow-2' }), WP_META);
    for (let i = 0; i < 5; i++) flood.send({ type_url: TypeUrl.Cluster, subscribe: [`c${i}`] });
    const e1 = await refusal(flood);
    assert.equal(e1.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(e1.details, /more than 4 requests or 1048576 bytes before authentication completed/);
    const stalled = delta(WP, channel({ token: 'hang' }), WP_META);
    stalled.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const e2 = await refusal(stalled);
    assert.equal(e2.code, grpc.status.UNAVAILABLE);
    assert.match(e2.details, /authentication did not complete within 500 ms/);
  });

  it('keeps serving other streams on the same port after refusals', async () => {
    const good = delta(WP, channel({ token: 'tok-waypoint' }), WP_META);
    good.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    good.ack(await good.next());
    const bad = delta(WP, channel({ token: 'tok-app-other' }), WP_META);
    bad.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    await refusal(bad);
    x.set('app/waypoint', { [TypeUrl.Cluster]: [cluster('app-cluster'), cluster('app-cluster-2')] });
    const update = await good.next(3000);
    assert.deepEqual(
      update.resources.map((r) => r.name),
      ['app-cluster-2'],
    );
    good.ack(update);
  });

  it('reviews a token once and reuses the answer for the streams that follow', async () => {
    /** Three waypoint streams, each on its own connection, presenting `token`; counts the reviews they cause. */
    const threeStreams = async (token: string, served: boolean) => {
      const start = reviews;
      for (let i = 0; i < 3; i++) {
        const c = delta(
          `waypoint~10.0.0.${i}~waypoint-5d8f-${token}${i}.app~app.svc.cluster.local`,
          channel({ token }),
          WP_META,
        );
        c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
        if (served) await c.next();
        else await refusal(c);
      }
      return reviews - start;
    };
    assert.equal(await threeStreams('tok-fresh', true), 1);
    // A refusal is remembered too (briefly), so retrying a bad token is not API load.
    assert.equal(await threeStreams('unknown-token', false), 1);
  });

  it('limits syncz and CSDS to the caller namespace unless it is the control plane namespace', async () => {
    // Proxies in two namespaces, connected over the plaintext port.
    const a = new DeltaClient(x.address, { id: WP, metadata: WP_META });
    const s = new DeltaClient(x.address, { id: OTHER_NS, metadata: { LABELS: { [LABEL.gatewayName]: 'waypoint' } } });
    clients.push(a, s);
    for (const c of [a, s]) {
      c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      c.ack(await c.next());
    }
    const ids = async (token: string) => {
      const d = new SotwClient(
        tlsAddress,
        { id: 'debug~0.0.0.0~cli.x~x.svc.cluster.local' },
        undefined,
        channel({ token }),
      );
      clients.push(d);
      d.send({ type_url: DebugTypeUrl.Syncz });
      const r = await d.next();
      return new Set(r.resources.map((any) => unpack<{ node: { id: string } }>(any).node.id));
    };
    const all = await ids('tok-admin');
    assert.ok(all.has('waypoint-5d8f-abcde.app') && all.has('waypoint-77-zzzzz.shop'), [...all].join());
    const shopOnly = await ids('tok-shop');
    assert.ok(shopOnly.size > 0 && [...shopOnly].every((id) => id.endsWith('.shop')), [...shopOnly].join());

    const fetch = (token: string) =>
      new Promise<string[]>((resolve, reject) => {
        const creds = withBearer(grpc.credentials.createSsl(ca.read(ca.caFile)), token);
        const client = csdsClient(tlsAddress, creds);
        client.FetchClientStatus({ node_matchers: [] }, (err, res: { config: Array<{ node: { id: string } }> }) => {
          client.close();
          if (err) reject(err);
          else resolve(res.config.map((c) => c.node.id));
        });
      });
    assert.ok((await fetch('tok-admin')).includes('waypoint-5d8f-abcde.app'));
    const scoped = await fetch('tok-shop');
    assert.ok(scoped.length > 0 && scoped.every((id) => id.endsWith('.shop')), scoped.join());
    await assert.rejects(fetch('forged'), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
  });

  it('survives 1,000 mutated requests with random, valid and missing tokens, and keeps serving', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const good = delta(WP, channel({ token: 'tok-waypoint' }), WP_META);
    good.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    good.ack(await good.next());
    const r = rng(20261201);
    const seed = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      node: { id: WP },
      type_url: TypeUrl.Cluster,
      resource_names_subscribe: ['*'],
    });
    const tokens = ['tok-waypoint', 'tok-app-other', 'forged', ''];
    try {
      for (let batch = 0; batch < 10; batch++) {
        const pick = tokens[batch % tokens.length]!;
        // A token of random bytes now and then, as a hostile client would send.
        const token = batch % 5 === 4 ? mutate(Buffer.from('tok-waypoint'), r).toString('base64url') : pick;
        const ch = channel(token ? { token } : {});
        await Promise.all(
          Array.from({ length: 100 }, () => {
            const call = ch.makeBidiStreamRequest(
              '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
              (b: Buffer) => b,
              (b: Buffer) => b,
            );
            return new Promise<void>((resolve) => {
              call.on('status', () => resolve());
              call.on('error', () => undefined);
              call.on('data', () => undefined);
              for (let k = 0; k < 3; k++) call.write(mutate(seed, r));
              setTimeout(() => {
                call.cancel();
                resolve();
              }, 50);
            });
          }),
        );
      }
      x.set('app/waypoint', { [TypeUrl.Cluster]: [cluster('app-cluster'), cluster('after-fuzz')] });
      const update = await good.next(3000);
      assert.ok(
        update.resources.some((res) => res.name === 'after-fuzz'),
        'the authenticated stream still gets pushes',
      );
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('ends a stream whose proxy comes to stand for a waypoint its identity may not act as', async () => {
    const id = 'waypoint~10.0.0.50~waypoint-5d8f-moved.app~app.svc.cluster.local';
    const c = delta(id, channel({ token: 'tok-waypoint' }), WP_META);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    c.ack(await c.next());
    keys.set(id, 'app/other-waypoint');
    x.server.refreshKeys();
    const e = await refusal(c);
    assert.equal(e.code, grpc.status.PERMISSION_DENIED);
    assert.match(e.details, /may not act as waypoint app\/other-waypoint/);
    keys.delete(id);
  });
});

describe('the plaintext port', () => {
  it('serves without authentication (it is for local use)', async () => {
    const x = await startXds({ proxyKey, access: proxyAccess('istio-system') });
    try {
      x.set('app/waypoint', { [TypeUrl.Cluster]: [cluster('app-cluster')] });
      const c = new DeltaClient(x.address, { id: WP, metadata: WP_META });
      try {
        c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
        assert.equal((await c.next()).resources.length, 1);
      } finally {
        c.close();
      }
    } finally {
      await x.close();
    }
  });

  it('answers a CSDS regex that would backtrack forever, and refuses one it cannot run in linear time', async () => {
    const x = await startXds();
    const p = new DeltaClient(x.address, { id: 'a'.repeat(40) + '!' });
    const client = csdsClient(x.address);
    try {
      x.set('a'.repeat(40) + '!', { [TypeUrl.Cluster]: [cluster('c')] });
      p.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      await p.next();
      await waitFor(() => x.server.syncz().length === 1);
      const ask = (regex: string) =>
        new Promise<{ config: unknown[] }>((resolve, reject) =>
          client.FetchClientStatus({ node_matchers: [{ node_id: { safe_regex: { regex } } }] }, (err, res) =>
            err ? reject(err) : resolve(res as { config: unknown[] }),
          ),
        );
      assert.equal((await ask('(a+)+')).config.length, 0);
      assert.equal((await ask('a+!')).config.length, 1);
      // A pattern that is not whole by itself cannot slip out of the anchors.
      await assert.rejects(ask('x)|(.*'), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
      await assert.rejects(
        new Promise((resolve, reject) =>
          client.FetchClientStatus(
            { node_matchers: Array.from({ length: 65 }, () => ({ node_id: { exact: 'x' } })) },
            (err, res) => (err ? reject(err) : resolve(res)),
          ),
        ),
        (e: grpc.ServiceError) =>
          e.code === grpc.status.INVALID_ARGUMENT && /65 node matchers; the limit is 64/.test(e.details),
      );
      await assert.rejects(
        ask('(a)\\1'),
        (e: grpc.ServiceError) =>
          e.code === grpc.status.INVALID_ARGUMENT && /cannot be executed in linear time/i.test(e.details),
      );
    } finally {
      p.close();
      client.close();
      await x.close();
    }
  });
});

describe('TokenReviewAuthenticator', () => {
  const md = (v?: string) => {
    const m = new grpc.Metadata();
    if (v !== undefined) m.set('authorization', v);
    return m;
  };

  it('passes on streams without a token and refuses a malformed header', async () => {
    const a = new TokenReviewAuthenticator(review, { audiences: ['istio-ca'], trustDomain: 'cluster.local' });
    assert.equal(await a.authenticate({ metadata: md() }), undefined);
    await assert.rejects(a.authenticate({ metadata: md('Basic abc') }), /not a Bearer token/);
  });

  it('maps the service-account user to an identity in the trust domain', async () => {
    const a = new TokenReviewAuthenticator(review, { audiences: ['istio-ca'], trustDomain: 'corp.example' });
    assert.deepEqual(await a.authenticate({ metadata: md('Bearer tok-waypoint') }), {
      trustDomain: 'corp.example',
      namespace: 'app',
      serviceAccount: 'waypoint',
      via: 'token',
    });
  });

  it('asks again once the cached review expires, and when the API could not be asked', async () => {
    let now = 0;
    let calls = 0;
    let down = true;
    const a = new TokenReviewAuthenticator(
      (t) => {
        calls++;
        return down ? Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443')) : review(t);
      },
      { audiences: ['istio-ca'], trustDomain: 'cluster.local', cacheTtlMs: 1000, now: () => now },
    );
    // An outage is UNAVAILABLE (retry), and its cause stays in our logs.
    await assert.rejects(a.authenticate({ metadata: md('Bearer tok-waypoint') }), (e: AuthError) => {
      return (
        e.code === grpc.status.UNAVAILABLE &&
        e.message === 'token review failed: the Kubernetes API could not be asked' &&
        e.detail === 'connect ECONNREFUSED 10.0.0.1:443'
      );
    });
    down = false;
    await a.authenticate({ metadata: md('Bearer tok-waypoint') });
    await a.authenticate({ metadata: md('Bearer tok-waypoint') });
    assert.equal(calls, 2);
    now = 1500;
    await a.authenticate({ metadata: md('Bearer tok-waypoint') });
    assert.equal(calls, 3);
  });

  it('never reuses a review past the expiry in the token', async () => {
    let now = 0;
    let calls = 0;
    const jwt = (exp: number) => ['e30', Buffer.from(JSON.stringify({ exp })).toString('base64url'), 'sig'].join('.');
    const token = jwt(2); // expires 2 s after the epoch of this clock
    const a = new TokenReviewAuthenticator(
      () => {
        calls++;
        return review('tok-waypoint');
      },
      { audiences: ['istio-ca'], trustDomain: 'cluster.local', cacheTtlMs: 60_000, now: () => now },
    );
    await a.authenticate({ metadata: md(`Bearer ${token}`) });
    now = 1000;
    await a.authenticate({ metadata: md(`Bearer ${token}`) });
    assert.equal(calls, 1);
    now = 2500;
    await a.authenticate({ metadata: md(`Bearer ${token}`) });
    assert.equal(calls, 2);
  });

  it('tells streams to retry when too many reviews are in flight', async () => {
    const pending: Array<() => void> = [];
    let hold = true;
    const held = (t: string) => new Promise<TokenReviewStatus>((resolve) => pending.push(() => resolve(review(t))));
    const a = new TokenReviewAuthenticator((t) => (hold ? held(t) : review(t)), {
      audiences: ['istio-ca'],
      trustDomain: 'cluster.local',
      maxInFlight: 2,
    });
    const first = [a.authenticate({ metadata: md('Bearer t1') }), a.authenticate({ metadata: md('Bearer t2') })];
    await assert.rejects(
      a.authenticate({ metadata: md('Bearer t3') }),
      (e: AuthError) => e.code === grpc.status.UNAVAILABLE && /too many token reviews/.test(e.message),
    );
    hold = false;
    for (const p of pending) p();
    await Promise.allSettled(first);
    await assert.rejects(a.authenticate({ metadata: md('Bearer t3') }), /token rejected/);
  });
});

describe('CertificateAuthenticator', () => {
  const cert = (subjectaltname: string) => ({
    metadata: new grpc.Metadata(),
    peerCertificate: { subjectaltname } as PeerCertificate,
  });

  it('takes the one SPIFFE URI SAN, and refuses a certificate naming several', async () => {
    const a = new CertificateAuthenticator('cluster.local');
    assert.deepEqual(await a.authenticate(cert('DNS:x.example, URI:spiffe://cluster.local/ns/a/sa/b')), {
      trustDomain: 'cluster.local',
      namespace: 'a',
      serviceAccount: 'b',
      via: 'certificate',
    });
    await assert.rejects(
      a.authenticate(
        cert('URI:spiffe://cluster.local/ns/a/sa/b, URI:spiffe://cluster.local/ns/istio-system/sa/ztunnel'),
      ),
      /has 2 URI SANs; an identity has one/,
    );
  });
});

describe('TLS certificate files', { skip: !OPENSSL && 'openssl not installed' }, () => {
  it('are re-read while the port serves, so a rotated certificate needs no restart', async () => {
    const ca = makeCa();
    const first = ca.issue('first', ['DNS:localhost']);
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const x = await startXds();
    try {
      const port = await x.server.listen(
        '127.0.0.1:0',
        tlsCredentials({ certFile: first.cert, keyFile: first.key }, { refreshMs: 50, log }),
        {
          authenticators: [new CertificateAuthenticator('cluster.local')],
        },
      );
      const servedCn = () =>
        new Promise<string>((resolve, reject) => {
          const s = tlsConnect(
            { host: '127.0.0.1', port, ca: ca.read(ca.caFile), servername: 'localhost', ALPNProtocols: ['h2'] },
            () => {
              const cn = String(s.getPeerCertificate().subject.CN);
              s.destroy();
              resolve(cn);
            },
          );
          s.on('error', reject);
        });
      assert.equal(await servedCn(), 'first');
      const second = ca.issue('second', ['DNS:localhost']);
      copyFileSync(second.key, first.key);
      copyFileSync(second.cert, first.cert);
      const deadline = Date.now() + 3000;
      let cn = await servedCn();
      while (cn !== 'second' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        cn = await servedCn();
      }
      assert.equal(cn, 'second');
      // Half a rotation (a new key, the old certificate) is not served: the
      // port keeps the last good pair and keeps accepting connections.
      const third = ca.issue('third', ['DNS:localhost']);
      const seen = warnings.length;
      copyFileSync(third.key, first.key);
      await until(
        () => warnings.slice(seen).some((l) => l.includes('TLS files unreadable or mismatched')),
        'the half-rotated pair to be refused',
      );
      assert.equal(await servedCn(), 'second');
      copyFileSync(third.cert, first.cert);
      const rotatedBy = Date.now() + 3000;
      while ((await servedCn()) !== 'third' && Date.now() < rotatedBy) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await servedCn(), 'third');
    } finally {
      await x.close();
      ca.remove();
    }
  });
});

describe('the debug port', () => {
  it('serves /debug only to callers on this machine unless --expose-debug, and probes to anyone', () => {
    assert.equal(mayReadDebug('/debug/config_dump', '127.0.0.1', false), true);
    assert.equal(mayReadDebug('/debug/syncz', '::1', false), true);
    assert.equal(mayReadDebug('/debug/syncz', '::ffff:127.0.0.1', false), true);
    assert.equal(mayReadDebug('/debug/config_dump', '10.42.0.7', false), false);
    assert.equal(mayReadDebug('/debug', '10.42.0.7', false), false);
    assert.equal(mayReadDebug('/debug/explain', '10.42.0.7', false), false);
    assert.equal(mayReadDebug('/debugger', '10.42.0.7', false), true);
    assert.equal(mayReadDebug('/ready', '10.42.0.7', false), true);
    assert.equal(mayReadDebug('/metrics', '10.42.0.7', false), true);
    assert.equal(mayReadDebug('/debug/config_dump', '10.42.0.7', true), true);
    assert.equal(isLoopback('128.0.0.1'), false);
  });
});
