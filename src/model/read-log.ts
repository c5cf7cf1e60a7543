import { get, type KindMap, type KindName, type World } from './world';
import { getInNamespace, inNamespace } from './grouped';

/**
 * Where a reader of the World notes what it read; the translator's Reads
 * (translate/reads.ts) is one. A function given one records each read as it
 * makes it, so what its caller recorded is what it read, not a second list
 * kept in step with it by hand.
 */
export interface ReadLog {
  /** One object, by key, whether or not it exists. */
  object(kind: string, namespace: string | undefined, name: string): void;
  /** Which objects of `kind` are in `namespace`, and their labels. */
  members(kind: string, namespace: string): void;
  /** Every object of `kind` in `namespace`. */
  namespace(kind: string, namespace: string): void;
  /** The objects of `kind` in `namespace` that reference `ref` (translate/refs.ts: refsOf), and only those. */
  referencing(kind: string, namespace: string, ref: string): void;
}

/** The World and the log its reads go to: a translation context is one. */
export interface RecordedWorld {
  readonly world: World;
  readonly reads: ReadLog;
}

const NOT_RECORDED: ReadLog = {
  object: () => undefined,
  members: () => undefined,
  namespace: () => undefined,
  referencing: () => undefined,
};

/** The World read without a record: for readers outside incremental translation (the index, the CLI). */
export const unrecorded = (world: World): RecordedWorld => ({ world, reads: NOT_RECORDED });

/** The World with the log a caller may have given (none: read without a record). */
export const recorded = (world: World, reads: ReadLog | undefined): RecordedWorld =>
  reads ? { world, reads } : unrecorded(world);

/** One object, its key recorded first (an absent object is a read too: its creation must reach the reader). */
export function readObject<K extends KindName>(
  from: RecordedWorld,
  kind: K,
  namespace: string | undefined,
  name: string,
): KindMap[K] | undefined {
  from.reads.object(kind, namespace, name);
  return namespace ? getInNamespace(from.world, kind, namespace, name) : get(from.world, kind, namespace, name);
}

/** Every object of `kind` in `namespace` (`Kind/ns/*`): the World's shared list, read-only. */
export function readNamespace<K extends KindName>(
  from: RecordedWorld,
  kind: K,
  namespace: string,
): readonly KindMap[K][] {
  from.reads.namespace(kind, namespace);
  return inNamespace(from.world, kind, namespace);
}

/**
 * The objects of `kind` in `namespace`, recorded as a lookup of those that
 * reference `ref`: the caller uses only those (by refs.ts: refsOf's rules),
 * so a change to another object does not reach it.
 */
export function readReferencing<K extends KindName>(
  from: RecordedWorld,
  kind: K,
  namespace: string,
  ref: string,
): readonly KindMap[K][] {
  from.reads.referencing(kind, namespace, ref);
  return inNamespace(from.world, kind, namespace);
}

/**
 * A lookup by label: the objects of `kind` in `namespace` that `pick` takes
 * (by their labels), with which objects the namespace has and their labels
 * recorded. Each picked object's own key is recorded as iteration reaches
 * it, so a reader that stops early has read only those before.
 */
export function readSelected<K extends KindName>(
  from: RecordedWorld,
  kind: K,
  namespace: string,
  pick: (o: KindMap[K]) => boolean = () => true,
): Selected<KindMap[K]> {
  from.reads.members(kind, namespace);
  return new Selected(from.reads, kind, namespace, inNamespace(from.world, kind, namespace).filter(pick));
}

/** Objects a lookup by label picked; iterating one records its key. */
export class Selected<T extends KindMap[KindName]> implements Iterable<T> {
  constructor(
    private readonly reads: ReadLog,
    private readonly kind: string,
    private readonly namespace: string,
    private readonly objects: readonly T[],
  ) {}

  /** How many were picked (not a read of any of them). */
  get length(): number {
    return this.objects.length;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const o of this.objects) {
      this.reads.object(this.kind, this.namespace, o.metadata.name);
      yield o;
    }
  }
}
