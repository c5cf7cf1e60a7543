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

/**
 * A recipe whose build is a function of its input (and the resource's name)
 * and nothing else: what is compared to reuse the previous encoding is the
 * build's argument, not a list of what the build reads kept beside it.
 * `build` is a module-level function, so it closes over nothing of the
 * translation (test/repo/derived-deps.test.ts checks that).
 */
export function fromInput<I, M>(name: string, input: I, build: (input: I, name: string) => M): Recipe<M> {
  return { name, input, build: () => build(input, name) };
}
