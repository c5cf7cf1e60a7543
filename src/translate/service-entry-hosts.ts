import { tableOf, type ServiceEntry, type Table, type World } from '../model';
import { derive } from './derived';
import type { Reads } from './reads';

// Which ServiceEntries declare each host, in every namespace, so "the entry
// of host H" is a map lookup instead of a scan of every entry per route
// backend. Built once per version of the World's ServiceEntry table (a new
// table on every ServiceEntry change, the same one otherwise), in the
// table's order, which is list(world, 'ServiceEntry')'s: a caller that takes
// the first entry picks the one it picked from that list.
const byHost = derive((table: Table<ServiceEntry>): ReadonlyMap<string, readonly ServiceEntry[]> => {
  const m = new Map<string, ServiceEntry[]>();
  for (const se of table.values()) {
    // An entry naming a host twice is still one entry declaring it.
    for (const host of new Set(se.spec?.hosts ?? [])) {
      const l = m.get(host);
      if (l) l.push(se);
      else m.set(host, [se]);
    }
  }
  return m;
});

const NONE: readonly ServiceEntry[] = [];

/**
 * The ServiceEntries of any namespace whose `hosts` hold `host` exactly, in
 * World order, with the read recorded as that host's (refs.ts: meshRefsOf):
 * a later change reaches the reader only if the entry it changes declared
 * the host before or declares it now. Matching is by the exact string, as
 * every lookup by host here does (a wildcard entry `*.example.com` answers
 * only for `*.example.com`), so no wildcard key is needed. Shared: read,
 * do not modify.
 */
export function entriesDeclaring(world: World, host: string, reads?: Reads): readonly ServiceEntry[] {
  reads?.referencingAnywhere('ServiceEntry', host);
  return byHost(tableOf(world, 'ServiceEntry')).get(host) ?? NONE;
}
