import { createHash } from 'node:crypto';
import { prepare, type MessageName, type PreparedResource, type TypeMap } from '../envoy';
import { sameInput } from './same-input';

interface Entry {
  /** The input object itself: when it is the same object again, there is nothing to hash. */
  input: unknown;
  /** Its hash, worked out when a later build first compares with it (inputs are never modified). */
  hash?: string;
  resource: PreparedResource;
}

/** By message type, then resource name: what each resource was built from, and the resource. */
export type Encoded = ReadonlyMap<string, ReadonlyMap<string, Entry>>;

// A null input (the name alone decides the resource) needs no hash.
const hashOf = (input: unknown) =>
  input === null
    ? ''
    : createHash('sha256')
        .update(JSON.stringify(input) ?? '')
        .digest('base64url');

/**
 * Builds and encodes a resource only when what it is built from differs
 * from the last build: the views rebuilt on every change (workload API,
 * proxyless) are mostly unchanged by one edit, and encoding is most of
 * their cost. The result is the same as building afresh; `prev` only
 * saves work. `next` is what the following build should be given.
 */
export class Reuse {
  readonly next = new Map<string, Map<string, Entry>>();

  constructor(private readonly prev?: Encoded) {}

  prepare<N extends MessageName>(message: N, name: string, input: unknown, build: () => TypeMap[N]): PreparedResource {
    let next = this.next.get(message);
    if (!next) this.next.set(message, (next = new Map()));
    const old = this.prev?.get(message)?.get(name);
    // Inputs are never mutated once built, so the same object means the same content.
    if (old && typeof input === 'object' && input !== null && old.input === input) {
      next.set(name, old);
      return old.resource;
    }
    // Hashed only when there is a last build to compare with: a cold build
    // (every resource new) spends nothing on it.
    if (!old) {
      const resource = prepare(message, name, build());
      next.set(name, { input, resource });
      return resource;
    }
    // Structurally equal inputs print the same JSON, so they hash alike: no
    // need to hash (JSON.stringify and SHA-256 of every unchanged input was
    // most of a one-route edit's proxyless rebuild). sameInput answers false
    // when it cannot tell (values other than plain data); the hash decides then.
    if (sameInput(old.input, input)) {
      next.set(name, { input, ...(old.hash !== undefined ? { hash: old.hash } : {}), resource: old.resource });
      return old.resource;
    }
    const hash = hashOf(input);
    const resource = (old.hash ??= hashOf(old.input)) === hash ? old.resource : prepare(message, name, build());
    next.set(name, { input, hash, resource });
    return resource;
  }
}
