import { objectKey, type Change, type ServiceEntry } from '../model';
import { ownerOf } from '../model/ip-allocation';
import { hashedAddresses, withAddresses } from '../model/ip-allocation-plan';
import type { ChangeListener, ConfigSource, SourceError } from './source';

// Manifest files have no status subresource for an allocator to write, so
// the directory mode gives ServiceEntries their addresses on the way in: the
// ServiceEntries reach the World with `status.addresses` filled as istiod's
// allocator would have (ipallocate.go), by the fixed hash of
// model/ip-allocation-plan.ts: hashedAddresses. The result depends only on
// the entries present, so a restart, a second replica and `translate -f`
// agree.

/** Rewrites ServiceEntry changes to carry their addresses; other changes pass unchanged. */
export class AddressAssigner {
  private readonly originals = new Map<string, ServiceEntry>();
  private readonly served = new Map<string, ServiceEntry>();

  apply(changes: readonly Change[]): Change[] {
    const out: Change[] = [];
    let touched = false;
    for (const c of changes) {
      if (c.op === 'upsert' && c.object.kind === 'ServiceEntry') {
        const se = c.object as ServiceEntry;
        this.originals.set(objectKey('ServiceEntry', se.metadata.namespace, se.metadata.name), se);
        touched = true;
      } else if (c.op === 'delete' && c.kind === 'ServiceEntry') {
        const key = objectKey('ServiceEntry', c.namespace, c.name);
        this.originals.delete(key);
        this.served.delete(key);
        out.push(c);
        touched = true;
      } else out.push(c);
    }
    if (!touched) return out;
    const plan = new Map(hashedAddresses([...this.originals.values()]).map((p) => [ownerOf(p.se), p.addresses]));
    for (const [key, se] of this.originals) {
      const addresses = plan.get(ownerOf(se));
      const next = addresses ? withAddresses(se, addresses) : se;
      const prev = this.served.get(key);
      if (prev && (prev === next || JSON.stringify(prev) === JSON.stringify(next))) continue;
      this.served.set(key, next);
      out.push({ op: 'upsert', object: next });
    }
    return out;
  }
}

/** A source whose ServiceEntries come out with allocated addresses. */
export class AddressAssigningSource implements ConfigSource {
  private readonly listeners: ChangeListener[] = [];
  private readonly assigner = new AddressAssigner();

  constructor(private readonly inner: ConfigSource) {
    inner.onChanges((changes, arrivedAt) => {
      const out = this.assigner.apply(changes);
      if (out.length > 0) for (const l of this.listeners) l(out, arrivedAt);
    });
  }

  get name(): string {
    return this.inner.name;
  }

  get synced(): boolean {
    return this.inner.synced;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  onChanges(l: ChangeListener): void {
    this.listeners.push(l);
  }

  errors(): readonly SourceError[] {
    return this.inner.errors();
  }
}
