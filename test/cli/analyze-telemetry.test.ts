import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { loadManifests } from '../../src/watch/load';
import { analyzeTelemetry } from '../../src/cli/analyze-telemetry';

const CASES = join(__dirname, '..', '..', '..', 'test', 'golden', 'cases');
const summary = (m: { code: string; namespace?: string; name: string; text: string }[]) =>
  m.map((x) => `${x.code} ${x.namespace}/${x.name}: ${x.text}`).sort();

describe('analyze: Telemetry', () => {
  it('providers.go: an enabled access-log entry without providers, when the mesh has no default', () => {
    const tel: KubeObject = {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'logs', namespace: 'app' },
      spec: { accessLogging: [{ filter: { expression: 'true' } }, { disabled: true }] },
    };
    const world = applyChanges(EMPTY_WORLD, [{ op: 'upsert', object: tel }]).world;
    assert.deepEqual(summary(analyzeTelemetry(world)), [
      'IST0157 app/logs: The Telemetry logs in namespace "app" with empty providers will be ignored.',
    ]);
  });

  it('default_selector.go: several selector-less Telemetries in one namespace', async () => {
    const { world } = await loadManifests([join(CASES, 'telemetry-root-namespace-merge', 'input.yaml')]);
    assert.deepEqual(summary(analyzeTelemetry(world)), [
      'IST0160 app/echo-quiet: The Telemetries [echo-quiet namespace-logs] in namespace "app" have no workload selector, which can lead to undefined behavior.',
      'IST0160 app/namespace-logs: The Telemetries [echo-quiet namespace-logs] in namespace "app" have no workload selector, which can lead to undefined behavior.',
    ]);
  });

  it('names a provider no waypoint can use, and not the gRPC and OpenTelemetry log providers', async () => {
    const { world } = await loadManifests([join(CASES, 'telemetry-otel-access-log', 'input.yaml')]);
    assert.deepEqual(summary(analyzeTelemetry(world)), []);
    const tel: KubeObject = {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'logs', namespace: 'app' },
      spec: { accessLogging: [{ providers: [{ name: 'prometheus' }, { name: 'nope' }] }] },
    };
    assert.deepEqual(summary(analyzeTelemetry(applyChanges(EMPTY_WORLD, [{ op: 'upsert', object: tel }]).world)), [
      'ISL0007 app/logs: accessLogging provider nope: the mesh config defines no extension provider nope',
      'ISL0007 app/logs: accessLogging provider prometheus: a prometheus provider writes no access log',
    ]);
  });

  it('selector.go: a selector matching no pod, and two selecting the same pod', () => {
    const tel = (name: string, matchLabels: Record<string, string>): KubeObject => ({
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name, namespace: 'app' },
      spec: { selector: { matchLabels }, accessLogging: [{ providers: [{ name: 'envoy' }] }] },
    });
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo-0', namespace: 'app', labels: { app: 'echo', version: 'v1' } },
    };
    const world = applyChanges(
      EMPTY_WORLD,
      [pod, tel('a', { app: 'echo' }), tel('b', { version: 'v1' }), tel('c', { version: 'v2', app: 'x' })].map(
        (object) => ({ op: 'upsert' as const, object }),
      ),
    ).world;
    assert.deepEqual(summary(analyzeTelemetry(world)), [
      'IST0101 app/c: Referenced selector not found: "app=x,version=v2"',
      'IST0159 app/a: The Telemetries [a b] in namespace "app" select the same workload pod "echo-0", which can lead to undefined behavior.',
      'IST0159 app/b: The Telemetries [a b] in namespace "app" select the same workload pod "echo-0", which can lead to undefined behavior.',
    ]);
  });
});
