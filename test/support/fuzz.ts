// Deterministic randomness and byte mutations for fuzz tests: a fixed seed
// makes every run throw the same cases.

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  switch (Math.floor(r() * 4)) {
    case 0:
      for (let i = 0; i < 1 + r() * 4; i++) {
        const at = Math.floor(r() * out.length);
        out[at] = (out[at] ?? 0) ^ (1 << Math.floor(r() * 8));
      }
      return out;
    case 1:
      return out.subarray(0, Math.floor(r() * out.length));
    case 2:
      return Buffer.concat([
        out,
        Buffer.from(Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256))),
      ]);
    default:
      return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
  }
}
