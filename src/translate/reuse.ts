import { countEncode, prepare, PreparedResource, typeUrlOf, type MessageName, type TypeMap } from '../envoy';
import type { Recipe } from './recipe';
import { sameInput } from './same-input';

/**
 * One type's resources of a build that `prepare` made outside any group, in
 * the order they were made, each beside the input it was built from; and
 * what `group` made, by piece and by slot.
 */
export interface EncodedType {
  readonly resources: readonly PreparedResource[];
  /** Pieces of IR, kept as they are (never modified once built): a cold build hashes and copies nothing. */
  readonly inputs: readonly unknown[];
  /** What was made for each piece of IR given to `group`, by that piece. */
  readonly groups?: ReadonlyMap<object, Group>;
  /** The same groups by slot: where a rebuilt piece finds what its predecessor made. */
  readonly slots?: ReadonlyMap<string, Group>;
  /** The last `sorted` call's names in the order given, and the order that sorted them. */
  readonly order?: Order;
}

interface Order {
  readonly names: readonly string[];
  readonly perm: readonly number[];
  readonly sorted: readonly PreparedResource[];
}

/** The resources made for one piece of IR, each beside its input, and the context they were made in. */
interface Group {
  readonly resources: readonly PreparedResource[];
  readonly inputs: readonly unknown[];
  readonly context: unknown;
}

/** By type URL: what a build encoded, for the next build of the same view to reuse. */
export type Encoded = ReadonlyMap<string, EncodedType>;

interface Made {
  resources: PreparedResource[];
  inputs: unknown[];
  groups?: Map<object, Group>;
  slots?: Map<string, Group>;
  order?: Order;
}

/**
 * Builds and encodes a resource only when what it is built from differs from
 * the last build's resource of the same type and name: one edit leaves most
 * resources of a waypoint, and of the views rebuilt on every change (workload
 * API, proxyless), unchanged, and encoding is most of their cost. The result
 * is the same as building afresh; `prev` only saves work. `next` is what the
 * following build should be given.
 *
 * Inputs are compared structurally (sameInput), and only when there is a
 * previous resource of that name: a cold build compares and keys nothing.
 */
export class Reuse {
  private readonly made = new Map<string, Made>();
  /** Positions of the previous build's resources by name, one map per type, made on first lookup. */
  private readonly prevAt = new Map<string, ReadonlyMap<string, number>>();

  constructor(private readonly prev?: Encoded) {}

  get next(): Encoded {
    return this.made;
  }

  /**
   * The recipe's resource: the previous one of its name when that was built
   * from the same input, else the recipe's own encoding (when it has one) or
   * its message encoded.
   */
  prepare<N extends MessageName>(message: N, recipe: Recipe<TypeMap[N]>): PreparedResource {
    const typeUrl = typeUrlOf(message);
    const made = this.madeOf(typeUrl);
    const resource = this.previous(typeUrl, recipe.name, recipe.input) ?? this.encode(message, typeUrl, recipe);
    made.resources.push(resource);
    made.inputs.push(recipe.input);
    return resource;
  }

  /**
   * The resources of `recipes`, which read nothing but `piece` (a piece of
   * IR, never modified once built) and `context` (a small value of the
   * build's, compared by value): the last build's, whole, when it was given
   * the same object in an equal context, without making or comparing the
   * recipes; else each recipe's resource, reusing what the last build made
   * in the same `slot` (the piece's stable name: a service's host) when its
   * input is unchanged. A served Service's part of a waypoint's IR is kept
   * by identity while an edit does not reach it, so an edit makes the
   * recipes of the parts it rebuilt and looks only at their predecessors,
   * not at every resource of the waypoint.
   */
  group<N extends MessageName, P extends object, C>(
    message: N,
    piece: P,
    slot: string,
    recipes: (piece: P, context: C) => Recipe<TypeMap[N]>[],
    context: C,
  ): readonly PreparedResource[] {
    const typeUrl = typeUrlOf(message);
    const made = this.madeOf(typeUrl);
    const prev = this.prev?.get(typeUrl);
    let group = prev?.groups?.get(piece);
    if (!group || !sameInput(group.context, context)) {
      const was = prev?.slots?.get(slot);
      const rs = recipes(piece, context);
      group = {
        resources: rs.map((r) => inGroup(was, r) ?? this.encode(message, typeUrl, r)),
        inputs: rs.map((r) => r.input),
        context,
      };
    }
    (made.groups ??= new Map()).set(piece, group);
    (made.slots ??= new Map()).set(slot, group);
    return group.resources;
  }

  /**
   * `resources` (this build's of one type) sorted by name. When the names
   * come in the same order as at the last call, as they do unless an edit
   * added or dropped a resource, the last call's order is applied without
   * comparing names; and when every resource is the last call's too, its
   * very array is returned, so a reader holding it (the cache) can tell
   * the type did not change without looking inside.
   */
  sorted(typeUrl: string, resources: readonly PreparedResource[]): readonly PreparedResource[] {
    const made = this.madeOf(typeUrl);
    const last = this.prev?.get(typeUrl)?.order;
    const names = resources.map((r) => r.name);
    if (last && sameNames(last.names, names)) {
      let same = true;
      const out = last.perm.map((i, at) => {
        const r = resources[i]!;
        if (r !== last.sorted[at]) same = false;
        return r;
      });
      made.order = { names, perm: last.perm, sorted: same ? last.sorted : out };
      return made.order.sorted;
    }
    const perm = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
    made.order = { names, perm, sorted: perm.map((i) => resources[i]!) };
    return made.order.sorted;
  }

  private madeOf(typeUrl: string): Made {
    let made = this.made.get(typeUrl);
    if (!made) this.made.set(typeUrl, (made = { resources: [], inputs: [] }));
    return made;
  }

  private previous(typeUrl: string, name: string, input: unknown): PreparedResource | undefined {
    const old = this.prev?.get(typeUrl);
    if (!old) return undefined;
    let at = this.prevAt.get(typeUrl);
    if (!at) this.prevAt.set(typeUrl, (at = new Map(old.resources.map((r, i) => [r.name, i]))));
    const i = at.get(name);
    return i !== undefined && sameInput(old.inputs[i], input) ? old.resources[i] : undefined;
  }

  private encode<N extends MessageName>(message: N, typeUrl: string, recipe: Recipe<TypeMap[N]>): PreparedResource {
    if (!recipe.encode) return prepare(message, recipe.name, recipe.build());
    // prepare() counts its own encodes; the benchmark counts these too.
    countEncode(typeUrl);
    return new PreparedResource(typeUrl, recipe.name, recipe.encode());
  }
}

/** The last build's resource of the recipe's name in `was`, when built from an equal input. */
function inGroup(was: Group | undefined, recipe: Recipe<unknown>): PreparedResource | undefined {
  if (!was) return undefined;
  // A group holds a few resources (a service's clusters, or its assignments): a scan beats a map.
  const i = was.resources.findIndex((r) => r.name === recipe.name);
  return i >= 0 && sameInput(was.inputs[i], recipe.input) ? was.resources[i] : undefined;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
