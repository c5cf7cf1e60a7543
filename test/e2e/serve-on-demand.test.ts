// serve builds a waypoint's configuration when a proxy of it connects or a
// reader asks for it, and pushes only to what is connected, as istiod does
// (pilot/pkg/xds/ads.go: initConnection builds a connecting proxy's
// configuration, pushConnection pushes to connected proxies only). /ready
// waits for the directory, not for JWKS (pilot/pkg/bootstrap/server.go:
// cachesSynced); a waypoint whose JWT rule needs a key set not fetched yet
// waits for that fetch, as GetPublicKey blocks the proxy's first push
// (pilot/pkg/model/jwks_resolver.go).
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { DeltaClient, SotwClient } from '../support/xds-client';
import { waitFor } from '../support/xds-harness';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';

const KEYS = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'fetched-late' }] });
const JWKS_CASE = join(PROJECT_ROOT, 'test', 'golden', 'cases', 'requestauthentication-jwksuri', 'input.yaml');
const REVIEWS_VIP = 'inbound-vip|9080|http|reviews.default.svc.cluster.local';

const waypointNode = (ns: string, name: string, pod: string) => ({
  id: `sidecar~10.0.0.9~${pod}.${ns}~${ns}.svc.cluster.local`,
  metadata: { NAMESPACE: ns, LABELS: { 'gateway.networking.k8s.io/gateway-name': name } },
});

describe('serve translates on demand', () => {
  let dir: string;
  let idp: http.Server;
  let idpAsked = 0;
  let answerIdp: () => void = () => undefined;
  const idpAnswered = new Promise<void>((r) => (answerIdp = r));
  let served: Served;
  const closers: (() => void)[] = [];

  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${served.debugPort}/metrics`)).text();
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    assert.ok(m, `${name} in /metrics`);
    return Number(m[1]);
  };

  before(async () => {
    // An IdP that answers only when the test says so.
    idp = http.createServer((_q, s) => {
      idpAsked++;
      void idpAnswered.then(() => s.end(KEYS));
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    const uri = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`;
    dir = mkdtempSync(join(tmpdir(), 'serve-on-demand-'));
    cpSync(join(PROJECT_ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'app.yaml'),
      readFileSync(JWKS_CASE, 'utf8').replace(
        '    jwksUri: https://accounts.example.com/.well-known/jwks.json\n',
        // Longer than this test runs: the fetch settles when the IdP answers, not by timing out.
        `    jwksUri: ${uri}\n    timeout: 120s\n`,
      ),
    );
    served = await startServe(['--config-dir', dir]);
  });
  after(async () => {
    for (const close of closers) close();
    answerIdp();
    await served.stop();
    idp.closeAllConnections();
    await new Promise((r) => idp.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready before the JWKS server answers, with no waypoint translated', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${served.debugPort}/ready`)).status, 200);
    await waitFor(() => idpAsked > 0, 5000, 'the JWKS fetch');
    assert.equal(await metric('istiod_lite_waypoints'), 4);
    assert.equal(await metric('istiod_lite_waypoints_translated'), 0);
  });

  it('gives a Delta client its complete configuration in the first response, translating only its waypoint', async () => {
    const c = new DeltaClient(
      `127.0.0.1:${served.xdsPort}`,
      waypointNode('default', 'reviews-svc-waypoint', 'reviews-svc-waypoint-5d8f9c-abcde'),
    );
    closers.push(() => c.close());
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const cds = await c.next();
    c.ack(cds);
    const clusters = cds.resources.map((r) => r.name);
    assert.ok(clusters.includes(REVIEWS_VIP), clusters.join(','));
    assert.ok(clusters.includes('outbound|9080||reviews-v1.default.svc.cluster.local'), clusters.join(','));
    c.send({ type_url: TypeUrl.Listener, subscribe: ['*'] });
    const lds = await c.next();
    c.ack(lds);
    assert.ok(lds.resources.some((r) => r.name === 'main_internal'));
    assert.equal(await metric('istiod_lite_waypoints_translated'), 1);
  });

  it('answers /debug/explain through a waypoint no proxy is connected to from its real configuration', async () => {
    // policies.yaml allows GET only at the namespace waypoint: a DELETE is refused by its RBAC filter.
    const q = new URLSearchParams({
      source: 'default/notsleep-685df55c6c-nwhs6',
      destination: 'productpage.default:9080',
      method: 'DELETE',
    });
    const res = await fetch(`http://127.0.0.1:${served.debugPort}/debug/explain?${q}`);
    assert.equal(res.status, 200);
    const body = JSON.stringify(await res.json());
    assert.match(body, /403/);
    assert.match(body, /RBAC: access denied/);
    assert.equal(await metric('istiod_lite_waypoints_translated'), 2);
  });

  it('gives a SotW client its complete configuration in the first response', async () => {
    const c = new SotwClient(
      `127.0.0.1:${served.xdsPort}`,
      waypointNode('default', 'reviews-v2-pod-waypoint', 'reviews-v2-pod-waypoint-6c9b-xyz12'),
    );
    closers.push(() => c.close());
    c.send({ type_url: TypeUrl.Listener });
    const lds = await c.next();
    c.ack(lds);
    assert.ok(lds.resources.length > 0);
    c.send({ type_url: TypeUrl.Cluster });
    const cds = await c.next();
    c.ack(cds);
    assert.ok(cds.resources.length > 0);
    assert.equal(await metric('istiod_lite_waypoints_translated'), 3);
  });

  it('translates nothing for an edit that only a waypoint no proxy asked for reads', async () => {
    const before = await metric('istiod_lite_waypoint_translations');
    const logged = served.logs.length;
    writeFileSync(
      join(dir, 'app-policy.yaml'),
      [
        'apiVersion: security.istio.io/v1',
        'kind: AuthorizationPolicy',
        'metadata: {name: deny-all, namespace: app}',
        'spec:',
        '  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]',
        '  action: DENY',
        '  rules: [{}]',
        '',
      ].join('\n'),
    );
    await waitFor(
      () => served.logs.slice(logged).some((l) => l.msg === 'configuration updated'),
      10_000,
      'the edit applied',
    );
    const line = served.logs.slice(logged).find((l) => l.msg === 'configuration updated');
    assert.deepEqual(line?.translated, []);
    assert.equal(await metric('istiod_lite_waypoint_translations'), before);
  });

  it('holds a waypoint whose JWT keys are not fetched yet, and answers its proxy once they are', async () => {
    const c = new DeltaClient(
      `127.0.0.1:${served.xdsPort}`,
      waypointNode('app', 'waypoint', 'waypoint-6f7b665c89-abcde'),
    );
    closers.push(() => c.close());
    c.send({ type_url: TypeUrl.Listener, subscribe: ['*'] });
    // istiod's first push for this proxy waits on the fetch; so does ours: the server says it holds
    // the waypoint, and a response sent before the keys would be the first one read below.
    await waitFor(
      () => served.logs.some((l) => l.msg === 'translated on demand' && l.key === 'app/waypoint' && l.waitingForJwks),
      10_000,
      'the waypoint held for its keys',
    );
    answerIdp();
    const lds = await c.next(10_000);
    const bytes = Buffer.concat(lds.resources.map((x) => Buffer.from(x.resource?.value ?? Buffer.alloc(0))));
    assert.ok(bytes.includes('fetched-late'), 'the first response carries the fetched keys');
    assert.ok(lds.resources.some((r) => r.name === 'main_internal'));
  });
});
