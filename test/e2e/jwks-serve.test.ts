import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { SotwClient } from '../support/xds-client';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';

const KEYS = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'served-to-serve' }] });
const CASE = join(PROJECT_ROOT, 'test', 'golden', 'cases', 'requestauthentication-jwksuri', 'input.yaml');

describe('serve resolves remote JWKS and inlines them (jwks_resolver.go: BuildLocalJwks)', () => {
  let dir: string;
  let idp: http.Server;
  let served: Served;
  before(async () => {
    idp = http.createServer((_q, s) => s.end(KEYS));
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    const uri = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`;
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-jwks-serve-'));
    writeFileSync(
      join(dir, 'input.yaml'),
      readFileSync(CASE, 'utf8').replace('https://accounts.example.com/.well-known/jwks.json', uri),
    );
    served = await startServe(['--config-dir', dir]);
  });
  after(async () => {
    await served.stop();
    idp.closeAllConnections();
    await new Promise((r) => idp.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the waypoint receives the fetched keys inline, not a remote JWKS it would fetch itself', async () => {
    const c = new SotwClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'waypoint~10.42.0.9~waypoint-6f7b665c89-abcde.app~app.svc.cluster.local',
      metadata: { NAMESPACE: 'app' },
    });
    try {
      c.send({ type_url: TypeUrl.Listener });
      const r = await c.next();
      const bytes = Buffer.concat(r.resources.map((x) => Buffer.from(x.value as Uint8Array)));
      assert.ok(bytes.length > 0);
      assert.ok(bytes.includes('served-to-serve'), 'the IdP keys are inlined');
      assert.ok(!bytes.includes('remote_jwks') && !bytes.includes('/jwks'), 'no remote JWKS URI');
    } finally {
      c.close();
    }
  });
});
