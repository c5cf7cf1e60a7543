// A policy's principals under the mesh trust domain and its aliases, as
// istiod rewrites them (pilot/pkg/security/trustdomain/bundle.go, applied by
// pilot/pkg/security/authz/model/model.go: MigrateTrustDomain). `bundle` is
// the trust domain first, then its aliases.

const DEFAULT_TRUST_DOMAIN = 'cluster.local';

const prefixMatch = (a: string, pattern: string) => pattern.endsWith('*') && a.startsWith(pattern.slice(0, -1));
const suffixMatch = (a: string, pattern: string) => pattern.startsWith('*') && a.endsWith(pattern.slice(1));

/** util.go: stringMatch. */
function matchesAny(a: string, list: readonly string[]): boolean {
  return list.some(
    (s) => a === s || s === '*' || prefixMatch(a, s) || prefixMatch(s, a) || suffixMatch(a, s) || suffixMatch(s, a),
  );
}

/** bundle.go: ReplaceTrustDomainAliases — `td/ns/x/sa/y` becomes one principal per trust domain of the bundle. */
export function replaceTrustDomainAliases(bundle: readonly string[], principals: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of principals) {
    const parts = p.split('/');
    const td = parts[0] ?? '';
    if (parts.length !== 5 || td === '*' || !(matchesAny(td, bundle) || td === DEFAULT_TRUST_DOMAIN)) {
      out.push(p);
      continue;
    }
    const mine: string[] = [];
    for (const t of bundle) {
      const next = suffixMatch(t, td) ? p : [t, ...parts.slice(1)].join('/');
      if (!mine.includes(next)) mine.push(next);
    }
    out.push(...mine);
  }
  return out;
}

/** bundle.go: ExpandTrustDomainAliases — a trust domain of the bundle stands for all of them. */
export function expandTrustDomainAliases(bundle: readonly string[], values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const x of bundle.includes(v) ? bundle : [v]) if (!out.includes(x)) out.push(x);
  return out;
}
