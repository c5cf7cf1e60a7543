import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { PROJECT_ROOT, runCli } from './serve-process';

const KEYS = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'served-by-test' }] });
const CASE = join(PROJECT_ROOT, 'test', 'golden', 'cases', 'requestauthentication-jwksuri', 'input.yaml');

type Doc = {
  waypoints: { listeners: unknown[] }[];
  statuses: { kind: string; parents?: { conditions: { status: string; message: string }[] }[] }[];
};

/** The RequestAuthentication status message, and whether `needle` is inlined in the listeners. */
function read(stdout: string, needle: string): { message: string; inlined: boolean } {
  const doc = YAML.parse(stdout) as Doc;
  const ra = doc.statuses.find((s) => s.kind === 'RequestAuthentication');
  return {
    message: ra?.parents?.[0]?.conditions[0]?.message ?? '',
    inlined: JSON.stringify(doc.waypoints[0]?.listeners).includes(needle),
  };
}

describe('translate fetches remote JWKS as the server does (jwks_resolver.go: BuildLocalJwks)', () => {
  let dir: string;
  let ca: TestCa | undefined;
  const servers: (http.Server | https.Server)[] = [];
  const manifest = (uri: string) => {
    const f = join(dir, `${servers.length}-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, readFileSync(CASE, 'utf8').replace('https://accounts.example.com/.well-known/jwks.json', uri));
    return f;
  };
  const listen = async (s: http.Server | https.Server) => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-jwks-'));
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    ca?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('inlines the keys it fetched', async () => {
    const port = await listen(http.createServer((_q, s) => s.end(KEYS)));
    const r = await runCli(['translate', '-f', manifest(`http://127.0.0.1:${port}/jwks`)]);
    assert.equal(r.code, 0, r.stderr);
    const got = read(r.stdout, 'served-by-test');
    assert.ok(got.inlined);
    assert.match(got.message, /bound to/);
  });

  it(
    'refuses a server whose certificate it cannot verify: no keys, every token rejected, status says why',
    {
      skip: !OPENSSL && 'openssl not installed',
    },
    async () => {
      ca = makeCa();
      const leaf = ca.issue('idp', ['IP:127.0.0.1']);
      const port = await listen(
        https.createServer({ cert: ca.read(leaf.cert), key: ca.read(leaf.key) }, (_q, s) => s.end(KEYS)),
      );
      const r = await runCli(['translate', '-f', manifest(`https://127.0.0.1:${port}/jwks`)]);
      assert.equal(r.code, 0, r.stderr);
      const got = read(r.stdout, 'served-by-test');
      assert.equal(got.inlined, false);
      assert.match(got.message, /JWKS unavailable.*(certificate|issuer)/i);
    },
  );

  it('--offline fetches nothing and says so', async () => {
    let hits = 0;
    const port = await listen(http.createServer((_q, s) => (hits++, s.end(KEYS))));
    const r = await runCli(['translate', '--offline', '-f', manifest(`http://127.0.0.1:${port}/jwks`)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(hits, 0);
    assert.match(read(r.stdout, 'served-by-test').message, /not fetched yet/);
  });
});
