import { countEncode, prepare, PreparedResource, typeUrlOf, type MessageName, type TypeMap } from '../envoy';
import type { Recipe } from './recipe';
import { sameInput } from './same-input';

/** One type's resources of a build, in the order they were made, each beside the input it was built from. */
export interface EncodedType {
  readonly resources: readonly PreparedResource[];
  /** Pieces of IR, kept as they are (never modified once built): a cold build hashes and copies nothing. */
  readonly inputs: readonly unknown[];
  /** What was made for each piece of IR given to `group`, by that piece. */
  readonly groups?: ReadonlyMap<object, Group>;
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
   * recipes; else each prepared as above. A served Service's part of a
   * waypoint's IR is kept by identity while an edit does not reach it, so an
   * edit makes the recipes of the parts it rebuilt, not of every service of
   * the waypoint.
   */
  group<N extends MessageName, P extends object, C>(
    message: N,
    piece: P,
    recipes: (piece: P, context: C) => Recipe<TypeMap[N]>[],
    context: C,
  ): readonly PreparedResource[] {
    const typeUrl = typeUrlOf(message);
    const made = this.madeOf(typeUrl);
    let group = this.prev?.get(typeUrl)?.groups?.get(piece);
    if (group && sameInput(group.context, context)) {
      made.resources.push(...group.resources);
      made.inputs.push(...group.inputs);
    } else {
      const rs = recipes(piece, context);
      group = { resources: rs.map((r) => this.prepare(message, r)), inputs: rs.map((r) => r.input), context };
    }
    (made.groups ??= new Map()).set(piece, group);
    return group.resources;
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
