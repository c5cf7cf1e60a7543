// The CRDs known to this process, by source: in Kubernetes mode those the
// cluster serves, in directory mode those kept in the config directory or
// named by `--crds`. Each served version's schema is compiled the first time
// an object of it is checked, and once only (kept by the schema's text).
import type { CompiledSchema } from './crd-schema';
import type { KindInfo } from './kinds';

// The schema compiler brings ajv and the CEL runtime, ~90 ms to load; most
// starts (no CRD with a schema for a kind present) never compile a schema.
let compiler: typeof import('./crd-schema') | undefined;
function compileSchema(schema: unknown, problems: string[]): CompiledSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  compiler ??= require('./crd-schema') as typeof import('./crd-schema');
  return compiler.compileSchema(schema, problems);
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export const CRD_API_VERSION = 'apiextensions.k8s.io/v1';
export const CRD_KIND = 'CustomResourceDefinition';

/** True for a CustomResourceDefinition document. */
export function isCrd(o: unknown): boolean {
  return isRecord(o) && o.apiVersion === CRD_API_VERSION && o.kind === CRD_KIND;
}

interface Served {
  /** The CRD's name, for messages. */
  crd: string;
  schema: unknown;
  text: string;
}

/** `group/version/kind` of each version a CRD serves with a schema, or a problem. */
export function servedVersions(crd: unknown): { key: string; served: Served }[] | string {
  if (!isRecord(crd) || !isCrd(crd)) return 'not an apiextensions.k8s.io/v1 CustomResourceDefinition';
  const meta = isRecord(crd.metadata) ? crd.metadata : {};
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (typeof spec.group !== 'string' || typeof names.kind !== 'string' || !Array.isArray(spec.versions))
    return 'spec.group, spec.names.kind and spec.versions: required';
  const out: { key: string; served: Served }[] = [];
  for (const v of spec.versions) {
    if (!isRecord(v) || typeof v.name !== 'string' || v.served === false) continue;
    const schema = isRecord(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (!isRecord(schema)) continue;
    out.push({
      key: `${spec.group}/${v.name}/${names.kind}`,
      served: { crd: name, schema, text: JSON.stringify(schema) },
    });
  }
  return out;
}

export class CrdRegistry {
  private readonly sources = new Map<string, Map<string, Served>>();
  private readonly effective = new Map<string, Served>();
  private readonly compiled = new Map<string, { schema: CompiledSchema; problems: string[] }>();
  /** Grows on every change of what is enforced: results computed before it are stale. */
  generation = 0;

  /**
   * Replaces what one source (say, `cluster` or a directory) declares.
   * Returns the `group/version/kind`s whose schema changed, and problems with the CRDs.
   */
  replace(source: string, crds: readonly unknown[]): { changed: string[]; problems: string[] } {
    const next = new Map<string, Served>();
    const problems: string[] = [];
    for (const c of crds) {
      const vs = servedVersions(c);
      if (typeof vs === 'string') problems.push(vs);
      else for (const { key, served } of vs) next.set(key, served);
    }
    if (next.size > 0) this.sources.set(source, next);
    else this.sources.delete(source);
    return { changed: this.recompute(), problems };
  }

  private recompute(): string[] {
    const want = new Map<string, Served>();
    // Later sources win; every source's CRDs are equally authoritative, so order is by name for stability.
    for (const name of [...this.sources.keys()].sort())
      for (const [k, s] of this.sources.get(name) ?? []) want.set(k, s);
    const changed: string[] = [];
    for (const k of new Set([...want.keys(), ...this.effective.keys()])) {
      if (want.get(k)?.text === this.effective.get(k)?.text) continue;
      changed.push(k);
      const s = want.get(k);
      if (s) this.effective.set(k, s);
      else this.effective.delete(k);
    }
    if (changed.length === 0) return changed;
    this.generation++;
    const live = new Set([...this.effective.values()].map((s) => s.text));
    for (const t of this.compiled.keys()) if (!live.has(t)) this.compiled.delete(t);
    return changed;
  }

  /** Kinds (e.g. `HTTPRoute`) with a schema from some CRD. */
  kinds(): Set<string> {
    return new Set([...this.effective.keys()].map((k) => k.split('/')[2] as string));
  }

  private schemaOf(o: unknown): CompiledSchema | undefined {
    if (!isRecord(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return undefined;
    const served = this.effective.get(`${o.apiVersion}/${o.kind}`);
    if (!served) return undefined;
    let c = this.compiled.get(served.text);
    if (!c) {
      const problems: string[] = [];
      c = { schema: compileSchema(served.schema, problems), problems };
      this.compiled.set(served.text, c);
    }
    return c.schema;
  }

  /**
   * Problems of an object with the schema and rules its CRD declares for its
   * apiVersion (none without a CRD); given the version it replaces (`old`),
   * transition rules too, as the API server checks an update.
   */
  validate(o: unknown, old?: unknown): string[] {
    return this.schemaOf(o)?.validate(o, old) ?? [];
  }

  /** Problems of the transition rules alone, from `old` to `o`: for objects whose other checks ran already. */
  transitionProblems(o: unknown, old: unknown): string[] {
    return this.schemaOf(o)?.transitions(o, old) ?? [];
  }

  /** Problems compiling the schemas checked so far, by CRD. */
  compileProblems(): string[] {
    const out: string[] = [];
    for (const s of this.effective.values())
      for (const p of this.compiled.get(s.text)?.problems ?? []) out.push(`CustomResourceDefinition ${s.crd}: ${p}`);
    return out;
  }
}

/** The process's CRDs: sources fill it, every check of an object reads it. */
export const crds = new CrdRegistry();

/**
 * Every problem of an object: the fields we read (kinds.ts) and its CRD's
 * schema and rules; with `old`, the version it replaces, its transition rules.
 */
export function problemsOf(info: KindInfo, o: unknown, old?: unknown): string[] {
  const own = info.validate(o);
  const fromCrd = crds.validate(o, old);
  if (fromCrd.length === 0) return own;
  // One problem found by both is said once.
  const seen = new Set(own);
  return [...own, ...fromCrd.filter((p) => !seen.has(p))];
}
