/**
 * An IPv4 or IPv6 address as the 4 or 16 bytes the workload API carries.
 *
 * Always memory of its own (`Buffer.alloc`), never a slice of Buffer's
 * shared pool: a Workload message is kept as the reuse input for as long as
 * its pod is unchanged, and a 4-byte pooled slice would keep a whole 8 KiB
 * slab alive. Under pod churn that was one slab more per pod that had moved
 * (~7.9 KiB each), bounded only by the number of pods.
 */
export function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::')
      ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
      : ip.split(':');
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
    return b;
  }
  const parts = ip.split('.').map(Number);
  const b = Buffer.alloc(4);
  parts.forEach((p, i) => (b[i] = p));
  return b;
}
