import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { matchesLabels, type Service } from '../../src/model';
import { servicesSelecting } from '../../src/translate/workload-api/selecting-services';

// istiod's pod workloads list the namespace's services whose non-empty
// selector matches the pod (ambient/workloads.go: podWorkloadBuilder,
// FilterSelectsNonEmpty); the grouped lookup must pick exactly those, in order.
const svc = (name: string, selector?: Record<string, string>): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'app' },
  spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] },
});

const services: Service[] = [
  svc('web', { app: 'web' }),
  svc('no-selector'),
  svc('empty-selector', {}),
  svc('web-v2', { app: 'web', version: 'v2' }),
  svc('by-tier', { tier: 'front', app: 'web' }),
  svc('other', { app: 'other' }),
  svc('web-again', { app: 'web' }),
];

describe('services selecting a pod', () => {
  const pods: Record<string, string>[] = [
    { app: 'web' },
    { app: 'web', version: 'v2' },
    { app: 'web', version: 'v1', tier: 'front' },
    { tier: 'front' },
    { app: 'other', version: 'v2' },
    {},
  ];
  for (const labels of pods)
    it(`pod ${JSON.stringify(labels)}: the services a full scan finds, in namespace order`, () => {
      const scan = services.filter((s) => matchesLabels(s.spec?.selector, labels)).map((s) => s.metadata.name);
      assert.deepEqual(
        servicesSelecting(services, labels).map((s) => s.metadata.name),
        scan,
      );
    });

  it('picks web, web-v2, by-tier and web-again for a v2 front-tier web pod, nothing without a selector', () => {
    assert.deepEqual(
      servicesSelecting(services, { app: 'web', version: 'v2', tier: 'front' }).map((s) => s.metadata.name),
      ['web', 'web-v2', 'by-tier', 'web-again'],
    );
  });

  it('a new Service list (a Service changed) is grouped afresh', () => {
    const next = [...services, svc('late', { app: 'web' })];
    assert.deepEqual(
      servicesSelecting(next, { app: 'web' }).map((s) => s.metadata.name),
      ['web', 'web-again', 'late'],
    );
  });
});
