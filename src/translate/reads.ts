import { objectKey } from '../model';

/**
 * What one waypoint's translation looked at, so a change re-translates only
 * the waypoints that read it. Queries over a whole namespace record
 * `Kind/ns/*`; over everything, `Kind/*`.
 */
export class Reads {
  readonly keys = new Set<string>();

  object(kind: string, namespace: string | undefined, name: string): void {
    this.keys.add(objectKey(kind, namespace, name));
  }

  namespace(kind: string, namespace: string): void {
    this.keys.add(`${kind}/${namespace}/*`);
  }

  all(kind: string): void {
    this.keys.add(`${kind}/*`);
  }
}

/** Whether a change to `changedKey` can affect a translation that made `reads`. */
export function affects(reads: ReadonlySet<string>, changedKey: string): boolean {
  if (reads.has(changedKey)) return true;
  const parts = changedKey.split('/');
  const kind = parts[0] ?? '';
  if (reads.has(`${kind}/*`)) return true;
  return parts.length === 3 && reads.has(`${kind}/${parts[1]}/*`);
}
