import { ipBytesOf } from '../../model';
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
  return ownBytes(ipBytesOf(ip) ?? []);
}

/** Parsed address bytes (model/values.ts) as a Buffer of their own, for the reason above. */
export function ownBytes(bytes: readonly number[]): Buffer {
  const b = Buffer.alloc(bytes.length);
  bytes.forEach((x, i) => (b[i] = x));
  return b;
}
