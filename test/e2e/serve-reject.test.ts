// serve keeps a route configuration Envoy would reject from the waypoint,
// says so once in its log, and lists it at /debug/rejectz with the HTTPRoute
// it came from. Waypoints are translated when a proxy of theirs connects
// (pilot/pkg/xds/ads.go: initConnection), so the refusal shows from then on,
// or from the start with --translate-all.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';
import { waitFor } from '../support/xds-harness';
import { DeltaClient } from '../support/xds-client';
import { TypeUrl } from '../../src/envoy';

interface RejectzEntry {
  waypoint: string;
  type: string;
  name: string;
  sources: string[];
  violations: { path: string; message: string }[];
}

const rejectzOf = async (s: Served) =>
  (await (await fetch(`http://127.0.0.1:${s.debugPort}/debug/rejectz`)).json()) as RejectzEntry[];

describe('serve with a resource Envoy would reject', () => {
  let served: Served;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-reject-'));
    cpSync(join(PROJECT_ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
    const file = join(dir, 'policies.yaml');
    const text = readFileSync(file, 'utf8');
    const bad = text.replace(
      '  rules:\n    - backendRefs:\n        - name: reviews-v1',
      // Gateway API puts no pattern on a header value, so this passes the
      // load-time checks; Envoy refuses CR/LF in a header value.
      '  rules:\n    - filters:\n        - type: RequestHeaderModifier\n          requestHeaderModifier:\n            set:\n              - name: x-note\n                value: "a\\r\\nb"\n      backendRefs:\n        - name: reviews-v1',
    );
    assert.notEqual(bad, text, 'the example still has the route this test edits');
    writeFileSync(file, bad);
    served = await startServe(['--config-dir', dir]);
  });
  after(async () => {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists it at /debug/rejectz once a proxy of the waypoint connects, and logs it once', async () => {
    // No proxy of the waypoint yet: nothing of it is translated, so nothing is refused.
    assert.equal(
      (await rejectzOf(served)).find((x) => x.type === 'RDS'),
      undefined,
    );
    const client = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'sidecar~10.0.0.9~reviews-svc-waypoint-5d8f9c-abcde.default~default.svc.cluster.local',
      metadata: {
        NAMESPACE: 'default',
        LABELS: { 'gateway.networking.k8s.io/gateway-name': 'reviews-svc-waypoint' },
      },
    });
    try {
      client.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      const cds = await client.next();
      // Its first response already carries the translation (the refusal is of one route only).
      assert.ok(cds.resources.some((x) => x.name === 'inbound-vip|9080|http|reviews.default.svc.cluster.local'));
    } finally {
      client.close();
    }
    const r = (await rejectzOf(served)).find((x) => x.type === 'RDS');
    assert.equal(r?.waypoint, 'default/reviews-svc-waypoint');
    assert.equal(r?.name, 'inbound-vip|9080|http|reviews.default.svc.cluster.local');
    assert.deepEqual(r?.sources, ['HTTPRoute/default/reviews']);
    assert.match(r?.violations[0]?.message ?? '', /valid HTTP header value/);
    await waitFor(() => served.logs.some((l) => l.resource === r?.name), 5000, 'the rejection log line');
    const lines = served.logs.filter((l) => l.resource === r?.name && l.level === 'warn');
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]?.msg), /Envoy would reject RouteConfiguration/);
  });
});

describe('serve --translate-all with a resource Envoy would reject', () => {
  let served: Served;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-reject-all-'));
    cpSync(join(PROJECT_ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
    const file = join(dir, 'policies.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text.replace(
        '  rules:\n    - backendRefs:\n        - name: reviews-v1',
        '  rules:\n    - filters:\n        - type: RequestHeaderModifier\n          requestHeaderModifier:\n            set:\n              - name: x-note\n                value: "a\\r\\nb"\n      backendRefs:\n        - name: reviews-v1',
      ),
    );
    served = await startServe(['--config-dir', dir, '--xds-port', 'off', '--translate-all']);
  });
  after(async () => {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the refusal before any proxy connects', async () => {
    const r = (await rejectzOf(served)).find((x) => x.type === 'RDS');
    assert.equal(r?.waypoint, 'default/reviews-svc-waypoint');
    assert.deepEqual(r?.sources, ['HTTPRoute/default/reviews']);
  });
});
