// The same scenario driven by kubectl and by client-node must leave the same
// objects behind: the test server treats both the way an API server would.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { KUBECTL, runKubectl } from './kubectl';
import { startKubeServer, type KubeServer } from './server';

const NS = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient' } },
};
const SVC = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'app' },
  spec: { ports: [{ name: 'http', port: 80 }], selector: { app: name } },
});
const GW = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace: 'app' },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
};

function snapshot(srv: KubeServer): unknown[] {
  return srv.store
    .all()
    .map(({ gk, obj }) => {
      const m = { ...obj.metadata };
      for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) delete m[k];
      if (m.annotations) {
        const a = { ...(m.annotations as Record<string, string>) };
        delete a['kubectl.kubernetes.io/last-applied-configuration'];
        m.annotations = Object.keys(a).length ? a : undefined;
        if (!m.annotations) delete m.annotations;
      }
      return { gk, ...obj, metadata: m };
    })
    .sort((a, b) => JSON.stringify([a.gk, a.metadata]).localeCompare(JSON.stringify([b.gk, b.metadata])));
}

describe('test server fidelity', { skip: !KUBECTL && 'kubectl not installed' }, () => {
  it('kubectl and client-node produce the same objects', async () => {
    const viaKubectl = await startKubeServer();
    const viaClient = await startKubeServer();
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-fidelity-'));
    try {
      const kc = viaKubectl.writeKubeconfig(dir);
      const k = async (args: string[], stdin?: string) =>
        assert.equal((await runKubectl(kc, args, stdin)).code, 0, args.join(' '));
      await k(['apply', '-f', '-'], [NS, SVC('echo'), SVC('gone'), GW].map((o) => JSON.stringify(o)).join('\n'));
      await k(['label', 'service', 'echo', '-n', 'app', 'istio.io/use-waypoint=waypoint']);
      await k([
        'patch',
        'gateway',
        'waypoint',
        '-n',
        'app',
        '--type',
        'merge',
        '-p',
        '{"metadata":{"labels":{"istio.io/waypoint-for":"all"}}}',
      ]);
      await k(['delete', 'service', 'gone', '-n', 'app']);

      const config = new k8s.KubeConfig();
      config.loadFromOptions({
        clusters: [{ name: 'c', server: viaClient.url, skipTLSVerify: true }],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      const api = k8s.KubernetesObjectApi.makeApiClient(config);
      for (const o of [NS, SVC('echo'), SVC('gone'), GW]) await api.create(o);
      await api.patch(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'echo', namespace: 'app', labels: { 'istio.io/use-waypoint': 'waypoint' } },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        k8s.PatchStrategy.StrategicMergePatch,
      );
      await api.patch(
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: 'waypoint', namespace: 'app', labels: { 'istio.io/waypoint-for': 'all' } },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        k8s.PatchStrategy.MergePatch,
      );
      await api.delete({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gone', namespace: 'app' } });

      assert.deepEqual(snapshot(viaClient), snapshot(viaKubectl));
      assert.equal(snapshot(viaClient).length, 3);
    } finally {
      await viaKubectl.close();
      await viaClient.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
