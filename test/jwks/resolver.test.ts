import { strict as assert } from 'node:assert';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  applyChanges,
  EMPTY_WORLD,
  get,
  RESOLVED_JWKS_CONFIGMAP,
  type RequestAuthentication,
  type World,
} from '../../src/model';
import { JwksResolver } from '../../src/jwks/resolver';
import { jwtRulesIR, resolvedJwks } from '../../src/translate/policy/authn';
import { UNUSABLE_JWKS } from '../../src/translate/names';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';

const KEYS = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'abc' }] });

function worldWith(rules: RequestAuthentication['spec']): World {
  const ra: RequestAuthentication = {
    apiVersion: 'security.istio.io/v1',
    kind: 'RequestAuthentication',
    metadata: { name: 'ra', namespace: 'shop' },
    spec: rules,
  };
  return applyChanges(EMPTY_WORLD, [{ op: 'upsert', object: ra }]).world;
}

describe(
  'JWKS resolver (jwks_resolver.go: GetPublicKey / BuildLocalJwks), over verified TLS',
  { skip: !OPENSSL },
  () => {
    let ca: TestCa;
    let other: TestCa;
    let server: https.Server;
    let base = '';
    let hits = 0;
    let body = KEYS;

    before(async () => {
      ca = makeCa();
      other = makeCa();
      const leaf = ca.issue('idp', ['IP:127.0.0.1', 'DNS:localhost']);
      server = https.createServer({ cert: ca.read(leaf.cert), key: ca.read(leaf.key) }, (req, res) => {
        hits++;
        if (req.url === '/jwks') return void res.end(body);
        if (req.url === '/.well-known/openid-configuration')
          return void res.end(JSON.stringify({ jwks_uri: `${base}/jwks` }));
        if (req.url === '/slow') return; // never answers
        res.statusCode = 404;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      ca.remove();
      other.remove();
    });

    it('fetches a jwksUri and hands the keys to the translator, which inlines them', async () => {
      const r = new JwksResolver({ ca: ca.read(ca.caFile) });
      const world = worldWith({ jwtRules: [{ issuer: 'idp', jwksUri: `${base}/jwks` }] });
      const change = await r.sync(world);
      assert.ok(change && change.op === 'upsert');
      const next = applyChanges(world, [change]).world;
      assert.equal(
        get(next, 'ConfigMap', 'istio-system', RESOLVED_JWKS_CONFIGMAP)?.metadata.name,
        RESOLVED_JWKS_CONFIGMAP,
      );
      const ra = get(next, 'RequestAuthentication', 'shop', 'ra')!;
      const [rule] = jwtRulesIR(ra, resolvedJwks(next, 'istio-system'));
      assert.equal(rule!.jwks, KEYS);
      assert.equal(rule!.jwksError, undefined);
      assert.equal(await r.sync(world), undefined, 'cached: nothing new to hand out');
    });

    it('resolves the issuer by OpenID discovery when there is no jwksUri', async () => {
      const r = new JwksResolver({ ca: ca.read(ca.caFile) });
      await r.sync(worldWith({ jwtRules: [{ issuer: base }] }));
      assert.deepEqual(r.resolutions().get(`openid:${base}`), { jwks: KEYS });
    });

    it('refuses a certificate it cannot verify, and the rule fails closed', async () => {
      const r = new JwksResolver({ ca: other.read(other.caFile) });
      const world = worldWith({ jwtRules: [{ issuer: 'idp', jwksUri: `${base}/jwks` }] });
      const next = applyChanges(world, [(await r.sync(world))!]).world;
      const res = r.resolutions().get(`${base}/jwks`);
      assert.ok(res && 'error' in res, 'no keys from an unverified server');
      const [rule] = jwtRulesIR(get(next, 'RequestAuthentication', 'shop', 'ra')!, resolvedJwks(next, 'istio-system'));
      assert.equal(rule!.jwks, UNUSABLE_JWKS);
      assert.match(rule!.jwksError!, /certificate|self.signed|issuer/i);
    });

    it('honours the rule timeout', async () => {
      const r = new JwksResolver({ ca: ca.read(ca.caFile) });
      const t = Date.now();
      await r.sync(worldWith({ jwtRules: [{ issuer: 'idp', jwksUri: `${base}/slow`, timeout: '0.2s' }] }));
      assert.ok(Date.now() - t < 3000);
      assert.match(JSON.stringify(r.resolutions().get(`${base}/slow`)), /timed out/);
    });

    it('refreshes on schedule and keeps the last good keys when a refresh fails', async () => {
      let now = 0;
      const r = new JwksResolver({ ca: ca.read(ca.caFile), now: () => now, refreshMs: 1000 });
      const world = worldWith({ jwtRules: [{ issuer: 'idp', jwksUri: `${base}/jwks` }] });
      body = KEYS;
      await r.sync(world);
      const rotated = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'rotated' }] });
      body = rotated;
      now = 500;
      assert.equal(await r.refreshDue(), undefined, 'not due yet');
      now = 1500;
      const change = await r.refreshDue();
      assert.ok(change, 'rotated keys are handed out');
      assert.deepEqual(r.resolutions().get(`${base}/jwks`), { jwks: rotated });
      body = 'not json';
      now = 3000;
      assert.equal(await r.refreshDue(), undefined);
      assert.deepEqual(r.resolutions().get(`${base}/jwks`), { jwks: rotated });
      body = KEYS;
      assert.ok(hits > 0);
    });
  },
);

describe('JWKS resolver refuses metadata addresses (jwks_resolver.go: jwksBlockedIP)', () => {
  for (const uri of [
    'http://169.254.169.254/latest/meta-data',
    'http://[fe80::1]/jwks',
    'http://100.100.100.200/jwks',
  ]) {
    it(`never fetches ${uri}`, async () => {
      const r = new JwksResolver();
      await r.sync(worldWith({ jwtRules: [{ issuer: 'idp', jwksUri: uri }] }));
      assert.match(JSON.stringify(r.resolutions().get(uri)), /connection blocked/);
    });
  }

  it('checks addresses after DNS resolution too', async () => {
    const { blockedReason } = await import('../../src/jwks/blocked');
    assert.ok(blockedReason('fd00:ec2::254'));
    assert.equal(blockedReason('127.0.0.1'), undefined, 'in-cluster IdPs on private or loopback addresses are allowed');
    assert.equal(blockedReason('10.0.0.5'), undefined);
  });
});

describe('JWKS resolver back-off (jwks_resolver.go: refreshCache)', () => {
  it('retries a failing source after 1, 2, 4 … minutes', async () => {
    let now = 0;
    const uri = 'http://169.254.169.254/jwks'; // refused without any network access
    const r = new JwksResolver({ now: () => now });
    await r.sync(worldWith({ jwtRules: [{ issuer: 'idp', jwksUri: uri }] }));
    const attempts: number[] = [];
    const orig = r.resolutions.bind(r);
    for (now = 0; now <= 8 * 60_000; now += 30_000) {
      const before = JSON.stringify(orig().get(uri));
      const spy = (r as unknown as { fetchKeys: (w: unknown) => Promise<unknown> }).fetchKeys.bind(r);
      let called = false;
      (r as unknown as { fetchKeys: (w: unknown) => Promise<unknown> }).fetchKeys = (w) => ((called = true), spy(w));
      await r.refreshDue();
      (r as unknown as { fetchKeys: unknown }).fetchKeys = spy;
      if (called) attempts.push(now / 60_000);
      assert.equal(JSON.stringify(orig().get(uri)), before);
    }
    assert.deepEqual(attempts, [1, 3, 7]);
  });
});
