/**
 * Whether two recipe inputs are equal as JSON would print them: the same
 * keys in the same order (keys whose value is undefined left out), the same
 * array elements, the same primitives. Where JSON would print two values
 * alike but this cannot tell (NaN, -0, a null against an undefined array
 * element) it answers false, which only costs a rebuild. The same object is
 * equal to itself without a walk: inputs are never modified once built.
 * Bytes (a Buffer of an address, a packed Any's value) compare by content.
 */
export function sameInput(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameInput(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) return sameBytes(a, b);
  // Only plain objects: anything else (a Map, a Date) prints by its own rules.
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // Walk both key lists in step, skipping undefined values, without copying them.
  const ka = Object.keys(ra);
  const kb = Object.keys(rb);
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < ka.length && ra[ka[i] as string] === undefined) i++;
    while (j < kb.length && rb[kb[j] as string] === undefined) j++;
    if (i === ka.length || j === kb.length) return i === ka.length && j === kb.length;
    const k = ka[i] as string;
    if (k !== kb[j] || !sameInput(ra[k], rb[k])) return false;
    i++;
    j++;
  }
}

function sameBytes(a: object, b: object): boolean {
  // JSON prints a Buffer and a plain Uint8Array differently: the same class, or not equal.
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.constructor !== b.constructor) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
