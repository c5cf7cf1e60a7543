import { randomUUID } from 'node:crypto';
import type { ApiResource } from './resources';

export type Obj = Record<string, unknown> & { metadata: Meta; apiVersion?: string; kind?: string };
export interface Meta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string }[];
  [k: string]: unknown;
}

export interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  gk: string;
  obj: Obj;
}

export type Watcher = (e: WatchEvent) => void;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Objects of every kind, one resourceVersion counter, and a bounded event history. */
export class Store {
  private readonly objects = new Map<string, Obj>();
  private rv = 1;
  private history: WatchEvent[] = [];
  /** Resuming from a version below this would miss events: 410 Gone. */
  private floor = 0;
  private readonly watchers = new Set<Watcher>();

  constructor(private historyLimit = 10_000) {}

  get currentRv(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can resume from; older ones get 410 Gone. */
  get oldestRv(): number {
    return this.floor;
  }

  static gk(res: ApiResource): string {
    return `${res.group}/${res.kind}`;
  }

  private key(gk: string, ns: string | undefined, name: string): string {
    return `${gk}/${ns ?? ''}/${name}`;
  }

  get(gk: string, ns: string | undefined, name: string): Obj | undefined {
    const o = this.objects.get(this.key(gk, ns, name));
    return o && clone(o);
  }

  list(gk: string, ns?: string): Obj[] {
    const out: Obj[] = [];
    for (const [k, o] of this.objects)
      if (k.startsWith(`${gk}/`) && (ns === undefined || o.metadata.namespace === ns)) out.push(clone(o));
    return out.sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    );
  }

  all(): { gk: string; obj: Obj }[] {
    return [...this.objects.entries()].map(([k, o]) => ({ gk: k.split('/').slice(0, 2).join('/'), obj: clone(o) }));
  }

  /** Stores `obj` (create or replace) and returns the stored copy. */
  put(gk: string, obj: Obj, dryRun = false): Obj {
    const k = this.key(gk, obj.metadata.namespace, obj.metadata.name);
    const prev = this.objects.get(k);
    const next = clone(obj);
    next.metadata.uid = prev?.metadata.uid ?? next.metadata.uid ?? randomUUID();
    next.metadata.creationTimestamp =
      prev?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const specChanged = !prev || JSON.stringify(prev.spec) !== JSON.stringify(next.spec);
    next.metadata.generation = (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
    if (dryRun) {
      next.metadata.resourceVersion = String(this.rv);
      return next;
    }
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    this.objects.set(k, next);
    this.emit({ rv: this.rv, type: prev ? 'MODIFIED' : 'ADDED', gk, obj: clone(next) });
    return clone(next);
  }

  delete(gk: string, ns: string | undefined, name: string, dryRun = false): Obj | undefined {
    const k = this.key(gk, ns, name);
    const prev = this.objects.get(k);
    if (!prev || dryRun) return prev && clone(prev);
    this.objects.delete(k);
    this.rv++;
    const gone = { ...clone(prev), metadata: { ...clone(prev.metadata), resourceVersion: String(this.rv) } };
    this.emit({ rv: this.rv, type: 'DELETED', gk, obj: gone });
    // Owner references: dependents go with their owner.
    const uid = prev.metadata.uid;
    for (const [dk, o] of [...this.objects]) {
      if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) {
        const [g = '', kind = '', dns = ''] = dk.split('/');
        this.delete(`${g}/${kind}`, dns || undefined, o.metadata.name);
      }
    }
    return gone;
  }

  private emit(e: WatchEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.floor = dropped[dropped.length - 1]?.rv ?? this.floor;
    }
    for (const w of this.watchers) w(e);
  }

  /** Events after `rv` still in history, or undefined when `rv` is too old (410). */
  since(rv: number): WatchEvent[] | undefined {
    if (rv < this.floor) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  subscribe(w: Watcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** Forgets history, so any watch resuming from an older version gets 410 Gone. */
  compact(): void {
    this.rv++;
    this.history = [];
    this.floor = this.rv;
  }
}
