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
