// What RBAC grants and what a client's calls needed, as `scope|group|resource|verb`,
// where scope is a namespace for a Role's grants and for calls in a namespace,
// and `*` for a ClusterRole's and for calls across namespaces.
import YAML from 'yaml';
import type { KubeServer } from './server';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const ANY = '*';

/** Every grant of the ClusterRoles and Roles in a manifest. */
export function grantsOf(manifest: string): Set<string> {
  const grants = new Set<string>();
  for (const doc of YAML.parseAllDocuments(manifest)) {
    const d = doc.toJS() as { kind?: string; metadata?: { namespace?: string }; rules?: Rule[] };
    if (d.kind !== 'ClusterRole' && d.kind !== 'Role') continue;
    const scope = d.kind === 'Role' ? (d.metadata?.namespace ?? 'default') : ANY;
    for (const rule of d.rules ?? [])
      for (const g of rule.apiGroups)
        for (const r of rule.resources) for (const v of rule.verbs) grants.add(`${scope}|${g}|${r}|${v}`);
  }
  return grants;
}

const PATH =
  /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/?]+)(?:\/([^/?]+))?(?:\/(status))?(?:\?(.*))?$/;

/**
 * The verbs the API server authorizes for each call. A server-side apply is a
 * patch, and also a create when the object does not exist yet, which is the
 * first apply of every object the controller owns.
 */
export function verbsUsed(calls: KubeServer['calls']): Set<string> {
  const used = new Set<string>();
  for (const c of calls) {
    const m = PATH.exec(c.url);
    if (!m) continue;
    const [, group = '', namespace = ANY, resource, name, sub, query = ''] = m;
    const key = `${namespace}|${group}|${resource}${sub ? `/${sub}` : ''}`;
    if (c.method === 'GET') used.add(`${key}|${name ? 'get' : /watch=(true|1)/.test(query) ? 'watch' : 'list'}`);
    else if (c.method === 'POST') used.add(`${key}|create`);
    else if (c.method === 'PUT') used.add(`${key}|update`);
    else if (c.method === 'DELETE') used.add(`${key}|delete`);
    else if (c.method === 'PATCH') {
      used.add(`${key}|patch`);
      if (c.contentType.startsWith('application/apply-patch')) used.add(`${key}|create`);
    }
  }
  return used;
}

const unscoped = (k: string) => k.slice(k.indexOf('|') + 1);

/** Calls no grant allows: a namespaced call needs a Role there or a ClusterRole; a cluster-wide one a ClusterRole. */
export function ungranted(used: Set<string>, grants: Set<string>): string[] {
  return [...used].filter((u) => !grants.has(u) && !grants.has(`${ANY}|${unscoped(u)}`)).sort();
}

/** Grants no call needed: a ClusterRole grant used nowhere, or a Role grant not used in its namespace. */
export function unusedGrants(used: Set<string>, grants: Set<string>): string[] {
  const anywhere = new Set([...used].map(unscoped));
  return [...grants].filter((g) => (g.startsWith(`${ANY}|`) ? !anywhere.has(unscoped(g)) : !used.has(g))).sort();
}
