import * as crypto from 'node:crypto';
import { deltaFraming, sotwFraming, type FieldFraming } from './wire';
import { encodePlain } from './encoder';
import type { MessageName, TypeMap } from './pack';
import { messageType } from './registry';
import { messageName, typeUrlOf } from './type-urls';

/**
 * One resource, encoded once. Its version is a hash of its bytes, so equal
 * content always has equal versions, across proxies and restarts. The framed
 * forms used on the wire are built on first use and then shared by every
 * connection that receives this version.
 */
export class PreparedResource {
  readonly version: string;
  private sotw?: FieldFraming;
  private delta?: FieldFraming;

  constructor(
    readonly typeUrl: string,
    readonly name: string,
    readonly body: Buffer,
  ) {
    this.version = contentVersion(body);
  }

  /**
   * `resources` entry of a DiscoveryResponse, as pieces to concatenate. Only
   * the few framing bytes are kept; the body is not copied into a second,
   * equally long-lived buffer.
   */
  sotwField(): readonly Uint8Array[] {
    const f = (this.sotw ??= sotwFraming(this.typeUrl, this.body.length));
    return [f.head, this.body];
  }

  /** `resources` entry of a DeltaDiscoveryResponse, as pieces to concatenate (see sotwField). */
  deltaField(): readonly Uint8Array[] {
    const f = (this.delta ??= deltaFraming(this.typeUrl, this.name, this.version, this.body.length));
    return [f.head, this.body, f.tail];
  }

  get messageName(): string {
    return messageName(this.typeUrl);
  }

  get size(): number {
    return this.body.length;
  }
}

// The one-shot hash (Node 20.12+) makes no Hash object per resource.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

export function contentVersion(bytes: Uint8Array): string {
  const digest = oneShot
    ? oneShot('sha256', bytes, 'base64url')
    : crypto.createHash('sha256').update(bytes).digest('base64url');
  return digest.slice(0, 16);
}

// Resources encoded since the process started, by type URL: what the
// benchmark reads to show that an unchanged resource is not encoded again.
const encodes = new Map<string, number>();

/** Counts one resource of `typeUrl` encoded (prepare() counts its own). */
export function countEncode(typeUrl: string): void {
  encodes.set(typeUrl, (encodes.get(typeUrl) ?? 0) + 1);
}

/** Resources encoded so far, by type URL. */
export function encodeCounts(): ReadonlyMap<string, number> {
  return encodes;
}

/** Encodes a typed message into a PreparedResource. */
export function prepare<N extends MessageName>(name: N, resourceName: string, message: TypeMap[N]): PreparedResource {
  const typeUrl = typeUrlOf(name);
  countEncode(typeUrl);
  return new PreparedResource(typeUrl, resourceName, owned(encodePlain(messageType(name), message, true)));
}

/**
 * `b`, or a copy with memory of its own when it is a slice of Buffer's
 * shared pool: a resource lives until it is replaced, and a pooled slice
 * keeps its whole 8 KiB slab alive, with every dead body in it. Under steady
 * churn each change would otherwise pin about one slab more.
 */
export function owned(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}
