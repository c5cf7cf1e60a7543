import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { kindOfKey, type World } from '../model';
import { VERSION } from '../version';

/**
 * What started a push, in istiod's words (`model.TriggerReason`): endpoint
 * changes, service changes, namespace changes, and config for everything else.
 */
const TRIGGER_OF_KIND: Readonly<Record<string, string>> = {
  Pod: 'endpoint',
  EndpointSlice: 'endpoint',
  WorkloadEntry: 'endpoint',
  Node: 'endpoint',
  Service: 'service',
  ServiceEntry: 'service',
  Namespace: 'namespace',
};

/**
 * Kinds istiod's Kubernetes service registry watches (`pilot_k8s_reg_events`,
 * with istiod's `type` names); every other kind is config (`pilot_k8s_cfg_events`).
 */
const REGISTRY_TYPE: Readonly<Record<string, string>> = {
  Service: 'Services',
  Pod: 'Pods',
  Node: 'Nodes',
  EndpointSlice: 'EndpointSlice',
  Namespace: 'Namespaces',
};

/** The pipeline's metrics: what istiod's dashboards query, and our own translation figures. */
export class PipelineMetrics {
  readonly registry = new Registry();

  readonly translations = new Counter({
    name: 'istiod_lite_waypoint_translations',
    help: 'Waypoint translations, full or incremental.',
    registers: [this.registry],
  });

  readonly translateTime = new Histogram({
    name: 'istiod_lite_translate_seconds',
    help: 'Seconds to apply one batch of config changes (index + affected waypoints).',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly waypoints = new Gauge({
    name: 'istiod_lite_waypoints',
    help: 'Waypoints known.',
    registers: [this.registry],
  });

  readonly triggers = new Counter({
    name: 'pilot_push_triggers',
    help: 'Pushes started, by what started them (endpoint, service, namespace, config).',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly regEvents = new Counter({
    name: 'pilot_k8s_reg_events',
    help: 'Changes to the service registry inputs (services, pods, nodes, endpoint slices, namespaces).',
    labelNames: ['type', 'event'] as const,
    registers: [this.registry],
  });

  readonly cfgEvents = new Counter({
    name: 'pilot_k8s_cfg_events',
    help: 'Changes to configuration objects, by kind.',
    labelNames: ['type', 'event'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Process and runtime figures (CPU, memory, heap, event-loop lag, handles) under
    // prom-client's standard names, as every Node service exports them.
    collectDefaultMetrics({ register: this.registry });
    // istiod sets this once per component at start; rollouts are tracked by its `tag`.
    new Gauge({
      name: 'istio_build',
      help: 'Build of this control plane.',
      labelNames: ['component', 'tag'] as const,
      registers: [this.registry],
    }).set({ component: 'pilot', tag: VERSION }, 1);
  }

  /** Counts one applied batch: its events by kind, and the push it triggers by reason. */
  recordBatch(before: World, after: World, changed: ReadonlySet<string>): void {
    const reasons = new Set<string>();
    // Counted here first: a first load is ~80,000 changes at 10,000 services,
    // and one labelled increment each would cost more than the counting.
    const counts = new Map<string, { kind: string; event: string; n: number }>();
    for (const key of changed) {
      const kind = kindOfKey(key);
      const had = hasKey(before, kind, key);
      const has = hasKey(after, kind, key);
      const event = had && has ? 'update' : has ? 'add' : 'delete';
      const id = `${kind}\u0000${event}`;
      const c = counts.get(id);
      if (c) c.n++;
      else counts.set(id, { kind, event, n: 1 });
      reasons.add(TRIGGER_OF_KIND[kind] ?? 'config');
    }
    for (const { kind, event, n } of counts.values()) {
      const reg = REGISTRY_TYPE[kind];
      if (reg) this.regEvents.inc({ type: reg, event }, n);
      else this.cfgEvents.inc({ type: kind, event }, n);
    }
    for (const type of reasons) this.triggers.inc({ type });
  }
}

function hasKey(world: World, kind: string, key: string): boolean {
  const table = (world.objects as Readonly<Record<string, ReadonlyMap<string, unknown> | undefined>>)[kind];
  return table?.has(key) ?? false;
}
