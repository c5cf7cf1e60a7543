import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/envoy';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { adsChannel, DeltaClient, SotwClient } from '../support/xds-client';
import { waitFor } from '../support/xds-harness';
import { PROJECT_ROOT, runCli, startServe, type Served } from './serve-process';

describe('serve: TLS port, proxy mapping, debug endpoints', () => {
  let ca: TestCa | undefined;
  let served: Served;
  before(async () => {
    const args = ['--config-dir', join(PROJECT_ROOT, 'examples', 'bookinfo')];
    if (OPENSSL) {
      ca = makeCa();
      const server = ca.issue('server', ['DNS:localhost', 'IP:127.0.0.1']);
      args.push(
        '--xds-tls-port',
        '0',
        '--tls-cert-file',
        server.cert,
        '--tls-key-file',
        server.key,
        '--tls-ca-file',
        ca.caFile,
      );
    }
    served = await startServe(args);
  });
  after(async () => {
    await served.stop();
    ca?.remove();
  });

  it(
    'serves ADS over TLS to a waypoint whose client certificate names its service account, and only to it',
    { skip: !OPENSSL && 'openssl not installed' },
    async () => {
      const tlsPort = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
      assert.ok(tlsPort > 0);
      const node = {
        id: 'waypoint~10.42.2.9~waypoint-6f7b665c89-6hppr.default~default.svc.cluster.local',
        metadata: { NAMESPACE: 'default' },
      };
      const listeners = (san: string | undefined) => {
        const leaf = san ? ca!.issue(`client-${san.replace(/\W+/g, '-')}`, [san]) : undefined;
        const creds = grpc.credentials.createSsl(
          ca!.read(ca!.caFile),
          leaf ? ca!.read(leaf.key) : null,
          leaf ? ca!.read(leaf.cert) : null,
        );
        const ch = adsChannel(`localhost:${tlsPort}`, creds);
        const c = new SotwClient(`localhost:${tlsPort}`, node, undefined, ch);
        c.send({ type_url: TypeUrl.Listener });
        return { c, close: () => (c.close(), ch.close()) };
      };
      const good = listeners('URI:spiffe://cluster.local/ns/default/sa/waypoint');
      try {
        assert.equal((await good.c.next()).resources.length, 3);
      } finally {
        good.close();
      }
      const anonymous = listeners(undefined);
      const other = listeners('URI:spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
      try {
        await anonymous.c.inbox.closed(3000);
        assert.equal(anonymous.c.error?.code, grpc.status.UNAUTHENTICATED);
        await other.c.inbox.closed(3000);
        assert.equal(other.c.error?.code, grpc.status.PERMISSION_DENIED);
        assert.match(other.c.error?.details ?? '', /may not act as waypoint default\/waypoint/);
      } finally {
        anonymous.close();
        other.close();
      }
    },
  );

  it('maps a proxy by pod-name prefix when labels are missing, and serves an unknown proxy nothing', async () => {
    const byPrefix = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'waypoint~10.42.0.11~reviews-v2-pod-waypoint-7f5dbd597-7zzw7.default~default.svc.cluster.local',
    });
    const unknown = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'waypoint~10.9.9.9~nobody-5d8f9c7b6-abcde.default~default.svc.cluster.local',
    });
    try {
      byPrefix.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      unknown.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      assert.deepEqual((await byPrefix.next()).resources.map((r) => r.name).sort(), [
        'connect_originate',
        'encap',
        'main_internal',
      ]);
      assert.deepEqual((await unknown.next()).resources, []);
      const adsz = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug/adsz`)).json()) as {
        clients: { proxy: string; key: string | null }[];
      };
      const keys = Object.fromEntries(adsz.clients.map((c) => [c.proxy, c.key]));
      assert.equal(keys['reviews-v2-pod-waypoint-7f5dbd597-7zzw7.default'], 'default/reviews-v2-pod-waypoint');
      assert.equal(keys['nobody-5d8f9c7b6-abcde.default'], null);
      // The log line crosses a pipe from the child process and may trail the response.
      await waitFor(
        () => served.logs.some((l) => l.msg === 'proxy matches no waypoint; serving it nothing'),
        5000,
        'the warning about the unknown proxy',
      );
    } finally {
      byPrefix.close();
      unknown.close();
    }
  });

  it('binds the debug port to 127.0.0.1 unless --debug-address exposes it', async () => {
    // 127.0.0.2 is this machine too, but a socket bound to 127.0.0.1 does not answer there.
    const at = (host: string, port: number) =>
      fetch(`http://${host}:${port}/ready`).then(
        (r) => r.status,
        (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
      );
    assert.equal(await at('127.0.0.1', served.debugPort), 200);
    assert.equal(await at('127.0.0.2', served.debugPort), 'ECONNREFUSED');
    const exposed = await startServe([
      '--config-dir',
      join(PROJECT_ROOT, 'examples', 'bookinfo'),
      '--xds-port',
      'off',
      '--debug-address',
      '0.0.0.0',
    ]);
    try {
      assert.equal(await at('127.0.0.2', exposed.debugPort), 200);
    } finally {
      await exposed.stop();
    }
  });

  it('explains every binding at /debug/ambientz and lists endpoints at /debug', async () => {
    const amb = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug/ambientz`)).json()) as {
      bindings: { object: string; waypoint: string | null }[];
    };
    assert.equal(
      amb.bindings.find((b) => b.object === 'Service/default/reviews')?.waypoint,
      'default/reviews-svc-waypoint',
    );
    const index = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug`)).json()) as { path: string }[];
    assert.deepEqual(
      index.map((e) => e.path),
      [
        '/ready',
        '/healthz',
        '/metrics',
        '/debug/syncz',
        '/debug/adsz',
        '/debug/config_dump',
        '/debug/ambientz',
        '/debug/logging',
        '/debug/rejectz',
        '/debug/explain',
        '/debug/page',
        '/debug/page.js',
        '/debug/page.css',
        '/debug/pushz',
        '/debug/convergence.svg',
      ],
    );
    const missing = await fetch(`http://127.0.0.1:${served.debugPort}/debug/config_dump`);
    assert.equal(missing.status, 400);
  });

  it('explains a request at /debug/explain as explain -o json does, and answers a bad parameter with 400 naming it', async () => {
    const base = `http://127.0.0.1:${served.debugPort}/debug/explain`;
    const get = async (q: Record<string, string>) => {
      const res = await fetch(`${base}?${new URLSearchParams(q).toString()}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const withoutOrigin = (e: Record<string, unknown>) => ({ ...e, configuration: undefined });
    // The same request given to the CLI over the same manifests: the served
    // configuration is what translate renders, so the journeys are equal.
    const cases: [Record<string, string>, string[]][] = [
      [
        { source: 'default/productpage-v1-675fc69cf-fp65z', destination: 'reviews.default:9080', path: '/reviews/1' },
        ['--from', 'default/productpage-v1-675fc69cf-fp65z', '--to', 'reviews.default:9080', '--path', '/reviews/1'],
      ],
      [
        { source: 'default/notsleep-685df55c6c-nwhs6', destination: 'productpage.default:9080', method: 'DELETE' },
        ['--from', 'default/notsleep-685df55c6c-nwhs6', '--to', 'productpage.default:9080', '--method', 'DELETE'],
      ],
    ];
    const outcomes: unknown[] = [];
    for (const [query, flags] of cases) {
      const answer = await get(query);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.configuration, 'served now by this server');
      const cli = await runCli([
        'explain',
        '-f',
        join(PROJECT_ROOT, 'examples', 'bookinfo'),
        '--offline',
        '-o',
        'json',
        ...flags,
      ]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(withoutOrigin(answer.body), withoutOrigin(JSON.parse(cli.stdout) as Record<string, unknown>));
      outcomes.push((answer.body.verdict as { outcome: string }).outcome);
    }
    // viewer (policies.yaml) allows GET only, on the namespace waypoint; reviews has its own without policy.
    assert.deepEqual(outcomes, ['forwarded', 'denied']);

    const bad: [Record<string, string>, RegExp][] = [
      [{ path: '/' }, /^destination is required/],
      [{ destination: 'reviews.default:9080', method: 'G T' }, /^method "G T"/],
      [{ destination: 'reviews.default:9080', jwtClaims: '[1]' }, /^jwtClaims: not a JSON object/],
      [{ destination: 'reviews.default:9080', header: 'novalue' }, /^header "novalue": want name=value/],
      [{ destination: 'reviews.default:9080', destinaton: 'x' }, /^unknown parameter "destinaton"/],
      [{ destination: 'nosuch.default:9080' }, /^destination: no Service or ServiceEntry is called nosuch/],
      [
        { source: 'default/nobody', destination: 'reviews.default:9080' },
        /^source: no pod or workload entry default\/nobody/,
      ],
    ];
    for (const [query, message] of bad) {
      const r = await get(query);
      assert.equal(r.status, 400, JSON.stringify(query));
      assert.match(String(r.body.error), message);
    }
  });

  it('answers liveness at /healthz and changes log levels per scope at /debug/logging', async () => {
    const base = `http://127.0.0.1:${served.debugPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const before = (await (await fetch(`${base}/debug/logging`)).json()) as Record<string, string>;
    assert.ok(before.xds && before.default, JSON.stringify(before));
    const set = await fetch(`${base}/debug/logging?level=debug&scope=xds`, { method: 'PUT' });
    assert.equal(set.status, 200);
    const after = (await set.json()) as Record<string, string>;
    assert.equal(after.xds, 'debug');
    assert.equal(after.default, before.default, 'other scopes keep their level');
    const bad = await fetch(`${base}/debug/logging?level=loud`, { method: 'PUT' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /level loud is not one of/);
    const post = await fetch(`${base}/debug/logging?level=info`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, PUT');
  });
});
