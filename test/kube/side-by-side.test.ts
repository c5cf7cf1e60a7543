import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServe, type Served } from '../e2e/serve-process';
import { KUBECTL, runKubectl } from './kubectl';
import { startKubeServer, type KubeServer } from './server';
import { until } from '../support/until';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const gateway = (name: string, cls: string, rev?: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: default
  labels: {istio.io/waypoint-for: service${rev ? `, istio.io/rev: ${rev}` : ''}}
spec:
  gatewayClassName: ${cls}
  infrastructure:
    labels: {team: payments}
    annotations: {example.com/owner: payments}
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]`;

const MANIFESTS = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: default}',
  // Ours: our class and our revision.
  gateway('lite', 'lite-waypoint', 'canary'),
  // Our class, another revision: istiod-lite of another revision deploys it.
  gateway('lite-default', 'lite-waypoint'),
  // istiod's class: istiod deploys it, even with our revision label.
  gateway('istiod-wp', 'istio-waypoint', 'canary'),
].join('\n---\n');

describe(
  'beside istiod: its own GatewayClass, controller name and revision',
  { skip: !KUBECTL && 'kubectl not installed' },
  () => {
    let srv: KubeServer;
    let dir: string;
    let served: Served;
    before(async () => {
      srv = await startKubeServer();
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-side-'));
      const kc = srv.writeKubeconfig(dir);
      const r = await runKubectl(kc, ['apply', '-f', '-'], MANIFESTS);
      assert.equal(r.code, 0, r.stderr);
      served = await startServe([
        '--kubeconfig',
        kc,
        '--gateway-class',
        'lite-waypoint',
        '--controller-name',
        'example.com/lite',
        '--revision',
        'canary',
        '--lease-duration',
        '2s',
        '--lease-renew',
        '300ms',
        '--debounce-after',
        '20ms',
      ]);
    });
    after(async () => {
      await served?.stop();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates its own GatewayClass and deploys only the waypoints of its class and revision', async () => {
      const cls = (await until(
        () => srv.get('gateway.networking.k8s.io/v1', 'GatewayClass', undefined, 'lite-waypoint'),
        'our GatewayClass',
      )) as Any;
      assert.equal(cls.spec.controllerName, 'example.com/lite');
      assert.equal(srv.get('gateway.networking.k8s.io/v1', 'GatewayClass', undefined, 'istio-waypoint'), undefined);
      const dep = (await until(() => srv.get('apps/v1', 'Deployment', 'default', 'lite'), 'our Deployment')) as Any;
      assert.equal(dep.metadata.labels['istio.io/rev'], 'canary');
      assert.equal(dep.metadata.labels['gateway.istio.io/managed'], 'example.com-lite');
      assert.equal(dep.metadata.labels['gateway.networking.k8s.io/gateway-class-name'], 'lite-waypoint');
      // spec.infrastructure reaches the objects and the pods, as istiod applies it.
      assert.equal(dep.metadata.labels.team, 'payments');
      assert.equal(dep.spec.template.metadata.labels.team, 'payments');
      assert.equal(dep.spec.template.metadata.annotations['example.com/owner'], 'payments');
      assert.deepEqual(dep.spec.template.spec.containers[0].resources.requests, { cpu: '100m', memory: '128Mi' });
      // Wait for a status of ours before checking what was left alone.
      await until(
        () =>
          (srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'lite') as Any | undefined)?.status
            ?.conditions,
        'our waypoint status',
      );
      assert.equal(srv.get('apps/v1', 'Deployment', 'default', 'lite-default'), undefined, 'another revision');
      assert.equal(srv.get('apps/v1', 'Deployment', 'default', 'istiod-wp'), undefined, "istiod's class");
      const theirs = srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'istiod-wp') as Any;
      assert.equal(theirs.status, undefined, "no status written on istiod's waypoint");
    });
  },
);
