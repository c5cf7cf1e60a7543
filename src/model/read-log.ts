import { get, type KindMap, type KindName, type World } from './world';
import { getInNamespace } from './grouped';

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
}

/** The World and the log its reads go to: a translation context is one. */
export interface RecordedWorld {
  readonly world: World;
  readonly reads: ReadLog;
}

const NOT_RECORDED: ReadLog = { object: () => undefined, members: () => undefined };

/** The World read without a record: for readers outside incremental translation (the index, the CLI). */
export const unrecorded = (world: World): RecordedWorld => ({ world, reads: NOT_RECORDED });

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
