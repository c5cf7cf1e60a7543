import type { PreparedResource } from '../envoy';

const NO_BYTES = new Uint8Array(0);

/**
 * A Delta request's `initial_resource_versions`: the name -> version pairs a
 * re-dialling client says it still holds, thousands per stream. The versions
 * stay where they arrived (spans of the request's bytes) and are compared
 * against the cache's versions there; a version becomes a string only when
 * it differs and must be remembered. Names keep protobufjs' map semantics:
 * a repeated name takes its last version and keeps its first place.
 */
export class ClaimedVersions {
  static readonly NONE = new ClaimedVersions(NO_BYTES, new Map(), [], [], undefined);

  private constructor(
    private readonly src: Uint8Array,
    /** Each name's index into `order`, and twice that into `spans`. */
    private readonly at: ReadonlyMap<string, number>,
    /** The names in the order protobufjs would give them. */
    private readonly order: readonly string[],
    /** Start and end in `src` of each name's version. */
    private readonly spans: readonly number[],
    /** Each name's version as a string, when the claim came decoded. */
    private readonly strings: readonly string[] | undefined,
  ) {}

  /** Versions as protobufjs decodes them (the request decoded the general way). */
  static fromRecord(rec: Readonly<Record<string, string>>): ClaimedVersions {
    const order = Object.keys(rec);
    if (order.length === 0) return ClaimedVersions.NONE;
    return new ClaimedVersions(
      NO_BYTES,
      new Map(order.map((n, i) => [n, i])),
      order,
      [],
      order.map((n) => rec[n]!),
    );
  }

  /**
   * Versions still in `src`: `order` holds each name once, `at` its index,
   * and `spans` at twice that index the start and end of its version.
   */
  static fromSpans(
    src: Uint8Array,
    at: ReadonlyMap<string, number>,
    order: readonly string[],
    spans: readonly number[],
  ): ClaimedVersions {
    return order.length === 0 ? ClaimedVersions.NONE : new ClaimedVersions(src, at, order, spans, undefined);
  }

  get size(): number {
    return this.order.length;
  }

  names(): readonly string[] {
    return this.order;
  }

  /** The version claimed for `name`, as protobufjs would decode it. */
  version(name: string): string | undefined {
    const i = this.at.get(name);
    return i === undefined ? undefined : this.versionAt(i);
  }

  /** Whether the version claimed for `name` is `version`. */
  holds(name: string, version: string): boolean {
    const i = this.at.get(name);
    return i !== undefined && this.equals(i, version);
  }

  /** Whether the claim is exactly `current`: every name it holds, each at its current version, and nothing else. */
  isExactly(current: ReadonlyMap<string, PreparedResource>): boolean {
    const order = this.order;
    if (order.length !== current.size) return false;
    for (let i = 0; i < order.length; i++) {
      const name = order[i]!;
      const r = current.get(name);
      if (!r || r.name !== name || !this.equals(i, r.version)) return false;
    }
    return true;
  }

  /**
   * Compares the claimed bytes with `version` without decoding them while
   * they are ASCII (versions are content hashes); past the first other byte,
   * decodes them as protobufjs would and compares the strings.
   */
  private equals(i: number, version: string): boolean {
    if (this.strings) return this.strings[i] === version;
    const src = this.src;
    const start = this.spans[2 * i]!;
    const end = this.spans[2 * i + 1]!;
    if (end - start > 3 * version.length) return false;
    for (let k = start, j = 0; k < end; k++, j++) {
      const b = src[k]!;
      if (b >= 0x80) return this.versionAt(i) === version;
      if (j >= version.length || version.charCodeAt(j) !== b) return false;
    }
    return end - start === version.length;
  }

  private versionAt(i: number): string {
    if (this.strings) return this.strings[i]!;
    return Buffer.from(this.src.buffer, this.src.byteOffset, this.src.length).toString(
      'utf8',
      this.spans[2 * i],
      this.spans[2 * i + 1],
    );
  }
}
