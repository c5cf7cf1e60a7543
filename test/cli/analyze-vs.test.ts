import { strict as assert } from 'node:assert';
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeWorld, formatMessage } from '../../src/cli/analyze';
import { loadManifests } from '../../src/watch/load';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { PROJECT_ROOT } from '../golden/harness';

// The mesh of a golden case (a waypoint serving app/echo and app/shadow) plus
// VirtualServices with the mistakes istioctl analyze and the waypoint care about.
const base = readFileSync(join(PROJECT_ROOT, 'test/golden/cases/http-mirror/input.yaml'), 'utf8').split(
  '\nkind: HTTPRoute',
)[0] as string;

const extra = `
---
apiVersion: v1
kind: Namespace
metadata:
  name: plain
  labels:
    istio.io/dataplane-mode: ambient
---
apiVersion: v1
kind: Service
metadata:
  name: multi
  namespace: plain
spec:
  clusterIP: 10.96.9.9
  ports:
  - name: http
    port: 80
  - name: admin
    port: 9000
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: echo
  namespace: app
spec:
  hosts: [echo]
  http:
  - match:
    - sourceLabels:
        app: client
    route:
    - destination:
        host: missing
  - route:
    - destination:
        host: echo
    mirror:
      host: gone.app.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: multi
  namespace: plain
spec:
  hosts: [multi]
  http:
  - route:
    - destination:
        host: multi
`;

describe('analyze: VirtualServices', () => {
  it('reports missing hosts, a multi-port destination without a port, no waypoint, and source labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyze-vs-'));
    try {
      // The case's HTTPRoute document is cut off above: drop its dangling separator.
      writeFileSync(
        join(dir, 'in.yaml'),
        base.replace(/---\napiVersion: gateway\.networking\.k8s\.io\/v1\s*$/, '') + extra,
      );
      const { world, errors } = await loadManifests([join(dir, 'in.yaml')]);
      assert.deepEqual(errors, []);
      const index = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).index;
      const got = analyzeWorld(world, index)
        .filter((m) => m.kind === 'VirtualService')
        .map(formatMessage);
      // Sorted by code, as analyze prints them.
      assert.deepEqual(got, [
        'Warning [ISL0002] (VirtualService plain/multi) has no effect: no Service it names (plain/multi) uses a waypoint; label it or its namespace istio.io/use-waypoint=<waypoint>',
        'Warning [ISL0006] (VirtualService app/echo) http[0].match[0] has sourceLabels: waypoints have no source labels and skip this match',
        'Error [IST0101] (VirtualService app/echo) Referenced host not found: "missing"',
        'Error [IST0101] (VirtualService app/echo) Referenced mirror host not found: "gone.app.svc.cluster.local"',
        'Error [IST0112] (VirtualService plain/multi) This VirtualService routes to a service "multi.plain.svc.cluster.local" that exposes multiple ports [80 9000]. Specifying a port in the destination is required to disambiguate.',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
