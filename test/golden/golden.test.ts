import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { describeError } from '../../src/watch/source';
import { loadManifests } from '../../src/watch/load';
import { DEFAULT_OPTIONS, translateAll, translateWaypoint } from '../../src/translate';
import { waypointPlaces } from '../../src/server/proxy-place';
import { buildProxyless, buildProxylessIR } from '../../src/translate/proxyless/proxyless';
import { GRPC_DEPRECATED_FIELDS } from '../../src/translate/proxyless/proxyless-tls';
import { renderResources, renderWaypoint, renderWorkloadApi, RENDER_SECTIONS } from '../../src/translate/render';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';
import { renderSecrets } from '../../src/translate/waypoint/secrets';
import { validateMessage } from '../../src/validate';
import { caseNames, CASES_DIR, checkOutputs, render } from './harness';

async function produce(caseDir: string): Promise<{ files: Map<string, string>; violations: string[] }> {
  const inputs = readdirSync(caseDir)
    .filter((f) => /^input.*\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(caseDir, f));
  const { world, errors } = await loadManifests(inputs);
  const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
  const result = translateAll(world, opts);
  const files = new Map<string, string>();
  const violations: string[] = [];
  for (const w of result.waypoints.values()) {
    // The IR first: what the waypoint serves, decided, before any Envoy
    // field. A change that moves only Envoy files changed how, not what.
    files.set(`${w.namespace}.${w.name}.ir.yaml`, render(w.ir));
    const rendered = renderWaypoint(w);
    for (const section of RENDER_SECTIONS)
      files.set(`${w.namespace}.${w.name}.${section}.yaml`, render(rendered[section]));
    // Only waypoints whose clusters fetch credentials over SDS get this file.
    const secrets = renderSecrets(world, w.namespace, w.ir);
    if (secrets) files.set(`${w.namespace}.${w.name}.secrets.yaml`, render(secrets));
    for (const [, rs] of w.resources) {
      for (const r of rs)
        for (const v of validateMessage(r.messageName, r.body))
          violations.push(`${w.key} ${r.name}: ${v.path}: ${v.message}`);
    }
  }
  // A waypoint whose pods form several places (proxy-place.ts) serves each
  // place's proxies EDS of their own; only cases about it render them.
  if (basename(caseDir).startsWith('places-')) {
    for (const w of result.waypoints.values()) {
      const wp = result.index.waypoints.get(w.key);
      if (!wp) continue;
      for (const place of waypointPlaces(world, w.key)) {
        const out = translateWaypoint(world, result.index, wp, DEFAULT_OPTIONS, undefined, place);
        const file = `${w.namespace}.${w.name}@${place.replace(/[/;=]/g, '_')}.endpoints.yaml`;
        files.set(file, render(renderWaypoint(out).endpoints));
      }
    }
  }
  // Proxyless output is one configuration for every gRPC node; only cases
  // about it render it, so the waypoint cases do not each grow four files.
  if (basename(caseDir).startsWith('proxyless-')) {
    files.set('proxyless.ir.yaml', render(buildProxylessIR(world, result.index, DEFAULT_OPTIONS)));
    const resources = buildProxyless(world, result.index, DEFAULT_OPTIONS);
    const rendered = renderResources(resources);
    for (const section of RENDER_SECTIONS) files.set(`proxyless.${section}.yaml`, render(rendered[section]));
    for (const [, rs] of resources)
      for (const r of rs)
        for (const v of validateMessage(r.messageName, r.body, { allowDeprecated: GRPC_DEPRECATED_FIELDS }))
          violations.push(`proxyless ${r.name}: ${v.path}: ${v.message}`);
  }
  // What ztunnel is told: which waypoint serves each service and workload, and the L4 policies.
  // Each case pins its own subject (its input's header); these messages follow istiod's
  // serviceregistry/ambient builders throughout: workloads.go: podWorkloadBuilder,
  // workloadEntryWorkloadBuilder, serviceEntryWorkloadBuilder; services.go: serviceServiceBuilder;
  // authorization.go and policies.go for the Authorizations (docs/parity.md, Workload API).
  files.set('ztunnel.yaml', render(renderWorkloadApi(buildWorkloadApi(world, result.index, opts))));
  files.set('statuses.yaml', render(result.statuses));
  if (errors.length > 0)
    files.set(
      'errors.yaml',
      render(errors.map((e) => describeError({ ...e, file: e.file?.slice(caseDir.length + 1) }))),
    );
  return { files, violations };
}

describe('golden translations', () => {
  const cases = caseNames();
  it('has cases', () => assert.ok(cases.length > 0));
  for (const name of cases) {
    it(name, async () => {
      const dir = join(CASES_DIR, name);
      const first = await produce(dir);
      const again = await produce(dir);
      assert.deepEqual([...again.files], [...first.files], 'translation is byte-stable across runs');
      assert.deepEqual(first.violations, [], 'every resource satisfies Envoy validate.rules');
      const problems = checkOutputs(dir, first.files);
      assert.deepEqual(problems, []);
    });
  }
});
