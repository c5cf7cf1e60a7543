// Kubernetes mode: objects that got past admission are checked at load
// against the schemas and CEL rules of the CRDs the cluster serves, read with
// a CustomResourceDefinition informer, and checked again when a CRD changes.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { list, type World } from '../../src/model';
import { KubeSource } from '../../src/watch/kube';
import { ConfigStore } from '../../src/watch/store';
import { startKubeServer, type KubeServer } from './server';
import { kubeConfigFor } from './kubeconfig';
import { until } from '../support/until';

const crd = (forbidden: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'httproutes.gateway.networking.k8s.io' },
  spec: {
    group: 'gateway.networking.k8s.io',
    names: { kind: 'HTTPRoute', plural: 'httproutes' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  rules: {
                    type: 'array',
                    items: {
                      type: 'object',
                      'x-kubernetes-validations': [
                        { rule: `!has(self.name) || self.name != '${forbidden}'`, message: `${forbidden} is reserved` },
                      ],
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
});

const route = (name: string, ruleName: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'app', generation: 1 },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
    rules: [{ name: ruleName, backendRefs: [{ name: 'reviews', port: 9080 }] }],
  },
});

describe('CRD schemas from the cluster', () => {
  let srv: KubeServer;
  let src: KubeSource;
  let world: World;
  const store = new ConfigStore();
  store.subscribe((w) => (world = w));
  const served = () =>
    list(world, 'HTTPRoute')
      .map((r) => r.metadata.name)
      .sort();
  const refused = () => src.refusals().map((r) => `${r.object.metadata.name}: ${r.problems.join('; ')}`);

  before(async () => {
    srv = await startKubeServer();
    srv.put(crd('admin') as never);
    srv.put(route('good', 'ok') as never);
    srv.put(route('bad', 'admin') as never);
    src = new KubeSource({ config: kubeConfigFor(srv), minBackoffMs: 50, maxBackoffMs: 200 });
    store.attach(src);
    await src.start();
    store.flush();
  });
  after(async () => {
    await src.stop();
    await srv.close();
  });

  it('refuses at load what the served CRD refuses, with the field path, and serves the valid route beside it', () => {
    assert.deepEqual(served(), ['good']);
    assert.deepEqual(refused(), ['bad: spec.rules[0]: Invalid value: "object": admin is reserved']);
  });

  it('checks the objects again when the CRD changes; a refused one keeps its last good version', async () => {
    srv.put(crd('ok') as never);
    await until(() => refused().some((r) => r.startsWith('good:')), 'good refused by the new rule');
    assert.deepEqual(refused(), ['good: spec.rules[0]: Invalid value: "object": ok is reserved']);
    // The route the old rule refused is served now; the refused one stays as last served.
    await until(() => (store.flush(), served().length === 2), 'bad served');
    assert.equal(list(world, 'HTTPRoute').find((r) => r.metadata.name === 'good')?.spec?.rules?.[0]?.name, 'ok');
  });
});
