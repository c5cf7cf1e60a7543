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
  static readonly NONE = new ClaimedVersions(NO_BYTES, new Map(), []);

  private constructor(
    private readonly src: Uint8Array,
    /** A name's version: an index into `spans` (start, end in `src`), or the version itself. */
    private readonly at: ReadonlyMap<string, number | string>,
    private readonly spans: readonly number[],
  ) {}

  /** Versions as protobufjs decodes them (the request decoded the general way). */
  static fromRecord(rec: Readonly<Record<string, string>>): ClaimedVersions {
    const at = new Map<string, string>();
    for (const name of Object.keys(rec)) at.set(name, rec[name]!);
    return at.size === 0 ? ClaimedVersions.NONE : new ClaimedVersions(NO_BYTES, at, []);
  }

  /** Versions still in `src`: `at` maps each name to an even index into `spans`. */
  static fromSpans(src: Uint8Array, at: ReadonlyMap<string, number>, spans: readonly number[]): ClaimedVersions {
    return at.size === 0 ? ClaimedVersions.NONE : new ClaimedVersions(src, at, spans);
  }

  get size(): number {
    return this.at.size;
  }

  names(): MapIterator<string> {
    return this.at.keys();
  }

  /** The version claimed for `name`, as protobufjs would decode it. */
  version(name: string): string | undefined {
    const v = this.at.get(name);
    return v === undefined || typeof v === 'string' ? v : this.decode(v);
  }

  /** Whether the version claimed for `name` is `version`. */
  holds(name: string, version: string): boolean {
    const v = this.at.get(name);
    return v !== undefined && this.equals(v, version);
  }

  /** Whether the claim is exactly `current`: every name it holds, each at its current version, and nothing else. */
  isExactly(current: ReadonlyMap<string, PreparedResource>): boolean {
    if (this.at.size !== current.size) return false;
    for (const [name, v] of this.at) {
      const r = current.get(name);
      if (!r || r.name !== name || !this.equals(v, r.version)) return false;
    }
    return true;
  }

  /**
   * Compares the claimed bytes with `version` without decoding them while
   * they are ASCII (versions are content hashes); past the first other byte,
   * decodes them as protobufjs would and compares the strings.
   */
  private equals(v: number | string, version: string): boolean {
    if (typeof v === 'string') return v === version;
    const src = this.src;
    const start = this.spans[v]!;
    const end = this.spans[v + 1]!;
    for (let i = start, j = 0; i < end; i++, j++) {
      const b = src[i]!;
      if (b >= 0x80) return this.decode(v) === version;
      if (j >= version.length || version.charCodeAt(j) !== b) return false;
    }
    return end - start === version.length;
  }

  private decode(v: number): string {
    return Buffer.from(this.src.buffer, this.src.byteOffset, this.src.length).toString(
      'utf8',
      this.spans[v],
      this.spans[v + 1],
    );
  }
}
