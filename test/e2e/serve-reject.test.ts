// serve keeps a route configuration Envoy would reject from the waypoint,
// says so once in its log, and lists it at /debug/rejectz with the HTTPRoute
// it came from.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';
import { waitFor } from '../support/xds-harness';

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
    served = await startServe(['--config-dir', dir, '--xds-port', 'off']);
  });
  after(async () => {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists it at /debug/rejectz and logs it once', async () => {
    const rejectz = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug/rejectz`)).json()) as {
      waypoint: string;
      type: string;
      name: string;
      sources: string[];
      violations: { path: string; message: string }[];
    }[];
    const r = rejectz.find((x) => x.type === 'RDS');
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
