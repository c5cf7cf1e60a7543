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

/** The read keys a change to `changedKey` affects: the key itself and the queries that cover it. */
export function readKeysOf(changedKey: string): string[] {
  const parts = changedKey.split('/');
  const kind = parts[0] ?? '';
  return parts.length === 3 ? [changedKey, `${kind}/*`, `${kind}/${parts[1]}/*`] : [changedKey, `${kind}/*`];
}

/** Whether a change to `changedKey` can affect a translation that made `reads`. */
export function affects(reads: ReadonlySet<string>, changedKey: string): boolean {
  return readKeysOf(changedKey).some((k) => reads.has(k));
}
