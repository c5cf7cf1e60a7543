import { keyOf, type Change, type KubeObject } from '../model';
import type { ChangeListener, ConfigSource, SourceError } from './source';

/** Objects put in by a test, delivered like any other source's. */
export class MemorySource implements ConfigSource {
  readonly name = 'memory';
  private readonly listeners: ChangeListener[] = [];
  private readonly objects = new Map<string, KubeObject>();
  synced = false;

  constructor(initial: KubeObject[] = []) {
    for (const o of initial) this.objects.set(keyOf(o), o);
  }

  async start(): Promise<void> {
    this.synced = true;
    this.emit([...this.objects.values()].map((object) => ({ op: 'upsert', object })));
  }

  async stop(): Promise<void> {}

  onChanges(l: ChangeListener): void {
    this.listeners.push(l);
  }

  errors(): readonly SourceError[] {
    return [];
  }

  upsert(...objects: KubeObject[]): void {
    for (const o of objects) this.objects.set(keyOf(o), o);
    this.emit(objects.map((object) => ({ op: 'upsert', object })));
  }

  delete(...objects: KubeObject[]): void {
    for (const o of objects) this.objects.delete(keyOf(o));
    this.emit(
      objects.map((o) => ({ op: 'delete', kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })),
    );
  }

  private emit(changes: Change[]): void {
    if (!this.synced || changes.length === 0) return;
    for (const l of this.listeners) l(changes);
  }
}
