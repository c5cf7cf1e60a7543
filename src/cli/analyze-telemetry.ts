// Telemetry findings, as istiod's analyzers report them
// (pkg/config/analysis/analyzers/telemetry: providers.go, default_selector.go,
// lightstep.go, selector.go), plus one of ours: a provider a Telemetry names that no
// waypoint can use.
import { list, matchesLabels, ROOT_NAMESPACE, type World } from '../model';
import { findProvider, meshTelemetry } from '../translate/policy/telemetry-providers';
import type { Message } from './analyze';
import { CODE } from './analyze-codes';

/** Provider kinds the waypoint builds nothing from, and why. */
function unusable(kind: string, type: string, use: 'accessLogging' | 'tracing'): string | undefined {
  if (use === 'accessLogging') {
    if (kind !== 'file' && kind !== 'http-als' && kind !== 'tcp-als' && kind !== 'otel-als')
      return `a ${type || kind} provider writes no access log`;
    return undefined;
  }
  if (['zipkin', 'datadog', 'skywalking', 'opentelemetry'].includes(kind)) return undefined;
  return `a ${type || kind} provider cannot trace`;
}

export function analyzeTelemetry(world: World, rootNamespace = ROOT_NAMESPACE): Message[] {
  const out: Message[] = [];
  const mesh = meshTelemetry(world, rootNamespace);
  const all = list(world, 'Telemetry');
  const at = (t: (typeof all)[number]) => ({
    kind: 'Telemetry',
    namespace: t.metadata.namespace,
    name: t.metadata.name,
  });
  for (const t of all) {
    // providers.go: ProviderAnalyzer — only when the mesh has no default access-log provider.
    if (mesh.defaultProviders.accessLogging.length === 0) {
      for (const l of t.spec?.accessLogging ?? []) {
        if (l.disabled === true || (l.providers ?? []).length > 0) continue;
        out.push({
          level: 'Warning',
          code: CODE.invalidTelemetryProvider,
          ...at(t),
          text: `The Telemetry ${t.metadata.name} in namespace "${t.metadata.namespace ?? ''}" with empty providers will be ignored.`,
        });
      }
    }
    const named: ['accessLogging' | 'tracing', string][] = [
      ...(t.spec?.accessLogging ?? []).flatMap((l) =>
        (l.providers ?? []).map((p) => ['accessLogging', p.name] as ['accessLogging', string]),
      ),
      ...(t.spec?.tracing ?? []).flatMap((l) =>
        (l.providers ?? []).map((p) => ['tracing', p.name] as ['tracing', string]),
      ),
    ];
    for (const [use, name] of named) {
      const p = findProvider(mesh, name);
      // lightstep.go: LightstepAnalyzer.
      if (p?.kind === 'other' && p.type === 'lightstep' && use === 'tracing')
        out.push({
          level: 'Warning',
          code: CODE.deprecated,
          ...at(t),
          text: `Deprecated: The Lightstep provider ${name} is deprecated, please migrate to OpenTelemetry provider.`,
        });
      const why = p
        ? unusable(p.kind, p.kind === 'other' ? p.type : '', use)
        : `the mesh config defines no extension provider ${name}`;
      if (why)
        out.push({
          level: 'Warning',
          code: CODE.unusableTelemetryProvider,
          ...at(t),
          text: `${use} provider ${name}: ${why}`,
        });
    }
  }
  // default_selector.go: DefaultSelectorAnalyzer — counts every Telemetry without a selector, targetRefs or not.
  const bySelectorless = new Map<string, string[]>();
  for (const t of all) {
    if (t.spec?.selector !== undefined) continue;
    const ns = t.metadata.namespace ?? '';
    bySelectorless.set(ns, [...(bySelectorless.get(ns) ?? []), t.metadata.name]);
  }
  for (const [ns, names] of bySelectorless) {
    if (names.length < 2) continue;
    const sorted = [...names].sort();
    for (const name of names)
      out.push({
        level: 'Error',
        code: CODE.multipleTelemetriesWithoutSelector,
        kind: 'Telemetry',
        namespace: ns,
        name,
        text: `The Telemetries [${sorted.join(' ')}] in namespace "${ns}" have no workload selector, which can lead to undefined behavior.`,
      });
  }
  out.push(...selectors(world));
  return out;
}

/** selector.go: SelectorAnalyzer — a selector that matches no pod of its namespace, or pods several select. */
function selectors(world: World): Message[] {
  const out: Message[] = [];
  const byPod = new Map<string, { ns: string; pod: string; names: string[] }>();
  for (const t of list(world, 'Telemetry')) {
    const sel = t.spec?.selector?.matchLabels ?? {};
    if (Object.keys(sel).length === 0) continue;
    const ns = t.metadata.namespace ?? '';
    const pods = list(world, 'Pod').filter(
      (p) => p.metadata.namespace === ns && matchesLabels(sel, p.metadata.labels ?? {}),
    );
    if (pods.length === 0) {
      // labels.SelectorFromSet(...).String(): `k=v` pairs sorted by key.
      const text = Object.keys(sel)
        .sort()
        .map((k) => `${k}=${sel[k] ?? ''}`)
        .join(',');
      out.push({
        level: 'Error',
        code: CODE.referenceNotFound,
        kind: 'Telemetry',
        namespace: ns,
        name: t.metadata.name,
        text: `Referenced selector not found: "${text}"`,
      });
    }
    for (const p of pods) {
      const key = `${ns}/${p.metadata.name}`;
      const e = byPod.get(key) ?? { ns, pod: p.metadata.name, names: [] };
      e.names.push(t.metadata.name);
      byPod.set(key, e);
    }
  }
  for (const { ns, pod, names } of byPod.values()) {
    if (names.length < 2) continue;
    const sorted = [...names].sort();
    for (const name of names)
      out.push({
        level: 'Error',
        code: CODE.conflictingTelemetrySelectors,
        kind: 'Telemetry',
        namespace: ns,
        name,
        text: `The Telemetries [${sorted.join(' ')}] in namespace "${ns}" select the same workload pod "${pod}", which can lead to undefined behavior.`,
      });
  }
  return out;
}
