import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyOverlays, OverlayError, parametersRefOf } from '../../src/controller/overlay';
import { waypointObjects } from '../../src/controller/waypoint-objects';
import type { Gateway, KubeObject } from '../../src/model';

const gw: Gateway = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'wp', namespace: 'ns1', uid: 'u1' },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
} as Gateway;

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const of = (objs: KubeObject[], kind: string) => objs.find((o) => o.kind === kind) as Any;

describe('waypoint overlays (istiod deploymentcontroller applyOverlay)', () => {
  it('applies the class defaults, then the Gateway own ConfigMap, merging lists by key', () => {
    const out = applyOverlays(waypointObjects(gw), [
      {
        ref: 'istio-system/defaults',
        data: {
          deployment: 'spec:\n  replicas: 2\n  template:\n    spec:\n      tolerations: [{key: a, operator: Exists}]',
          service: 'metadata:\n  annotations: {lb: internal}',
        },
      },
      {
        ref: 'ns1/params',
        data: {
          deployment:
            'spec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        env: [{name: EXTRA, value: "1"}]',
        },
      },
    ]);
    const dep = of(out, 'Deployment');
    assert.equal(dep.spec.replicas, 4, 'the Gateway overlay comes last');
    assert.deepEqual(dep.spec.template.spec.tolerations, [{ key: 'a', operator: 'Exists' }]);
    const env = dep.spec.template.spec.containers[0].env as { name: string }[];
    assert.equal(env.at(-1)!.name, 'EXTRA');
    assert.ok(
      env.some((e) => e.name === 'POD_NAME'),
      'generated env kept',
    );
    assert.equal(of(out, 'Service').metadata.annotations.lb, 'internal');
  });

  it('refuses what istiod refuses, naming the ConfigMap and key', () => {
    const objs = waypointObjects(gw);
    assert.throws(
      () => applyOverlays(objs, [{ ref: 'ns1/p', data: { pod: 'x: 1' } }]),
      /ConfigMap ns1\/p: unsupported overlay pod/,
    );
    assert.throws(
      () => applyOverlays(objs, [{ ref: 'ns1/p', data: { deployment: 'metadata: {name: other}' } }]),
      /may not change the object's name/,
    );
    assert.throws(() => applyOverlays(objs, [{ ref: 'ns1/p', data: { service: '[a' } }]), OverlayError);
    assert.throws(
      () => applyOverlays(objs, [{ ref: 'ns1/p', data: { podDisruptionBudget: 'spec: {}' } }]),
      /not supported by istiod-lite yet/,
    );
    const bad = {
      ...gw,
      spec: { ...gw.spec, infrastructure: { parametersRef: { group: 'x', kind: 'Thing', name: 'n' } } },
    };
    assert.throws(() => parametersRefOf(bad as Gateway), /must name a core ConfigMap/);
  });
});
