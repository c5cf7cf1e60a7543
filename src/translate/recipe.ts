/**
 * How to build one Envoy resource, with the IR its build reads (besides its
 * name). Equal inputs build equal bytes, so a translation may reuse the
 * previous encoding of a resource whose input did not change.
 */
export interface Recipe<M> {
  name: string;
  input: unknown;
  build: () => M;
  /** The encoding of build()'s message, written more directly (optional). */
  encode?: () => Buffer;
}

/** A build (or an encoding) of a resource from its input and name alone. */
type FromInput<I, R> = (input: I, name: string) => R;

/**
 * A recipe whose build is a function of its input (and the resource's name)
 * and nothing else: what is compared to reuse the previous encoding is the
 * build's argument, not a list of what the build reads kept beside it.
 * `build` (and `encode`, a more direct encoding of the same message) is a
 * module-level function, so it closes over nothing of the translation
 * (test/repo/derived-deps.test.ts checks that).
 */
export function fromInput<I, M>(
  name: string,
  input: I,
  build: FromInput<I, M>,
  encode?: FromInput<I, Buffer>,
): Recipe<M> {
  return encode ? new EncodedInputRecipe(name, input, build, encode) : new InputRecipe(name, input, build);
}

// Classes rather than objects of closures: a waypoint has a recipe per
// service port, and a cold translation makes them all.
class InputRecipe<I, M> implements Recipe<M> {
  constructor(
    readonly name: string,
    readonly input: I,
    private readonly make: FromInput<I, M>,
  ) {}

  build(): M {
    return this.make(this.input, this.name);
  }
}

class EncodedInputRecipe<I, M> extends InputRecipe<I, M> {
  constructor(
    name: string,
    input: I,
    make: FromInput<I, M>,
    private readonly bytes: FromInput<I, Buffer>,
  ) {
    super(name, input, make);
  }

  encode(): Buffer {
    return this.bytes(this.input, this.name);
  }
}
