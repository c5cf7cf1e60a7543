// In Kubernetes mode the schemas come from the CRDs the cluster serves: one
// informer on apiextensions.k8s.io/v1 CustomResourceDefinitions, for the
// groups of the kinds we read, feeding the process's CRD registry.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { crds, CRD_API_VERSION, CRD_KIND, KINDS } from '../model';

const SOURCE = 'cluster';
const GROUPS = new Set(KINDS.map((k) => k.group).filter((g) => g !== ''));

type Crd = k8s.KubernetesObject & { spec?: { group?: string } };

/** A CRD reduced to what the registry reads: its name and spec. */
function trimmed(o: Crd): Crd {
  return { apiVersion: CRD_API_VERSION, kind: CRD_KIND, metadata: { name: o.metadata?.name }, spec: o.spec };
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * client-node's list decodes a CRD into its typed model, which renames schema
 * keywords (`x_kubernetes_validations`, `_default`, `ref`, …); watch events
 * arrive as sent. The API's own spelling back, keyword by keyword, so a
 * property that happens to be named `ref` keeps its name.
 */
const SCHEMA_NAMES = new Map(
  k8s.V1JSONSchemaProps.getAttributeTypeMap()
    .filter((a) => a.name !== a.baseName)
    .map((a) => [a.name, a.baseName]),
);

function apiSchema(s: unknown): unknown {
  if (!isRecord(s)) return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    const key = SCHEMA_NAMES.get(k) ?? k;
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions')
      out[key] = isRecord(v) ? Object.fromEntries(Object.entries(v).map(([n, x]) => [n, apiSchema(x)])) : v;
    else if (key === 'items' || key === 'additionalProperties' || key === 'not' || key === 'additionalItems')
      out[key] = apiSchema(v);
    else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') out[key] = Array.isArray(v) ? v.map(apiSchema) : v;
    else out[key] = v;
  }
  return out;
}

/** A listed CRD with its schemas as the API spells them. */
function fromList(o: Crd): Crd {
  const t = trimmed(o);
  const spec = t.spec as Json | undefined;
  if (!spec || !Array.isArray(spec.versions)) return t;
  const versions = spec.versions.map((v: unknown) => {
    if (!isRecord(v) || !isRecord(v.schema)) return v;
    return { ...v, schema: { ...v.schema, openAPIV3Schema: apiSchema(v.schema.openAPIV3Schema) } };
  });
  return { ...t, spec: { ...spec, versions } as Crd['spec'] };
}

export class CrdWatch {
  private informer?: k8s.Informer<Crd> & k8s.ObjectCache<Crd>;
  private stopped = false;
  private ready = false;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly log?: Logger,
    /** Called when a schema of a kind we read changed after the start. */
    private readonly onChange: (kinds: Set<string>) => void = () => {},
  ) {}

  private apply(): void {
    const ours = (this.informer?.list() ?? []).filter((c) => GROUPS.has(c.spec?.group ?? ''));
    const { changed, problems } = crds.replace(SOURCE, ours);
    for (const p of problems) this.log?.warn({ problem: p }, 'CustomResourceDefinition not used');
    if (changed.length === 0) return;
    this.log?.info({ versions: changed.length }, 'schemas from the cluster CustomResourceDefinitions changed');
    if (this.ready) this.onChange(new Set(changed.map((k) => k.split('/').pop() as string)));
  }

  /**
   * Resolves once the first list was applied, or after `timeoutMs`, or on an
   * error (say, no RBAC to read CRDs): objects are then checked without
   * CRD schemas until the list arrives.
   */
  async start(timeoutMs = 10_000): Promise<void> {
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.kc);
    let first: () => void = () => {};
    const listed = new Promise<void>((resolve) => (first = resolve));
    const list = () =>
      objects.list<Crd>(CRD_API_VERSION, CRD_KIND).then((l) => {
        l.items = l.items.map(fromList);
        setImmediate(() => {
          this.apply();
          this.ready = true;
          first();
        });
        return l;
      });
    const informer = k8s.makeInformer<Crd>(this.kc, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', list);
    this.informer = informer;
    informer.on('add', () => this.apply());
    informer.on('update', () => this.apply());
    informer.on('delete', () => this.apply());
    // Backs off to 5 minutes: without RBAC for CRDs this fails until someone grants it.
    let retryMs = 1000;
    informer.on('error', (err: unknown) => {
      this.log?.warn({ error: String(err), retryInMs: retryMs }, 'cannot read CustomResourceDefinitions; retrying');
      first();
      if (this.stopped) return;
      setTimeout(() => void informer.start().catch(() => {}), retryMs).unref();
      retryMs = Math.min(retryMs * 2, 300_000);
    });
    informer.on('connect', () => (retryMs = 1000));
    informer.start().catch((err: unknown) => {
      this.log?.warn(
        { error: String(err) },
        'cannot read CustomResourceDefinitions; objects are checked without their schemas',
      );
      first();
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([listed, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    if (timer) clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
    crds.replace(SOURCE, []);
  }
}
