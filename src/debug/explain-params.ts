// The query parameters of /debug/explain: one list, read by the endpoint and
// rendered into the debug page's form, so the two cannot drift apart. They
// mirror the explain command's flags.
import type { ExplainInput } from '../explain';
import { PageError } from './views';

export interface ExplainParam {
  name: string;
  /** The explain flag it stands for. */
  flag: string;
  /** Shown in the page's form, with this placeholder. */
  placeholder?: string;
  /** Form field width, in characters. */
  size?: number;
}

export const EXPLAIN_PARAMS: readonly ExplainParam[] = [
  { name: 'source', flag: '--from', placeholder: 'default/productpage-v1-… or 10.42.0.7' },
  { name: 'destination', flag: '--to', placeholder: 'reviews.default.svc.cluster.local:9080' },
  { name: 'method', flag: '--method', placeholder: 'GET', size: 6 },
  { name: 'path', flag: '--path', placeholder: '/reviews/1' },
  { name: 'header', flag: '-H', placeholder: 'name=value' },
  { name: 'principal', flag: '--principal', placeholder: 'spiffe://cluster.local/ns/…' },
  { name: 'jwtClaims', flag: '--jwt-claims', placeholder: '{"iss":"…","sub":"…"}' },
  { name: 'jwt', flag: '--jwt' },
  { name: 'namespace', flag: '-n' },
  { name: 'tcp', flag: '--tcp' },
  { name: 'sni', flag: '--sni' },
];

const KNOWN = new Set(EXPLAIN_PARAMS.map((p) => p.name));
// An HTTP method token (RFC 9110 tchar), as the CLI passes it through upper-cased.
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A request to explain from /debug/explain's query; a PageError (400) names the bad parameter. */
export function explainInputOf(q: URLSearchParams, nowSeconds: number): ExplainInput {
  for (const name of q.keys())
    if (!KNOWN.has(name))
      throw new PageError(`unknown parameter ${JSON.stringify(name.slice(0, 40))}; known: ${[...KNOWN].join(', ')}`);
  const one = (name: string): string | undefined => {
    const all = q.getAll(name);
    if (all.length > 1 && name !== 'header') throw new PageError(`${name} is given ${all.length} times; give it once`);
    const v = all[0]?.trim();
    return v === '' ? undefined : v;
  };
  const to = one('destination');
  if (to === undefined) throw new PageError('destination is required, e.g. ?destination=reviews.default:9080');
  const method = (one('method') ?? 'GET').toUpperCase();
  if (!METHOD.test(method)) throw new PageError(`method ${JSON.stringify(method.slice(0, 40))} is not an HTTP method`);
  const path = one('path') ?? '/';
  const headers = q
    .getAll('header')
    .filter((h) => h.trim() !== '')
    .map((h): [string, string] => {
      const i = h.search(/[=:]/);
      if (i <= 0) throw new PageError(`header ${JSON.stringify(h.slice(0, 60))}: want name=value`);
      return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
    });
  const jwt = one('jwt');
  const rawClaims = one('jwtClaims');
  if (jwt !== undefined && rawClaims !== undefined) throw new PageError('jwt and jwtClaims cannot be used together');
  let jwtClaims: Record<string, unknown> | undefined;
  if (rawClaims !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(rawClaims);
    } catch (e) {
      throw new PageError(`jwtClaims: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PageError('jwtClaims: not a JSON object');
    jwtClaims = v as Record<string, unknown>;
  }
  const tcp = one('tcp');
  if (tcp !== undefined && tcp !== 'true' && tcp !== 'false') throw new PageError('tcp must be true or false');
  const from = one('source');
  const principal = one('principal');
  const sni = one('sni');
  return {
    to,
    namespace: one('namespace') ?? 'default',
    protocol: tcp === 'true' ? 'tcp' : 'http',
    method,
    path: path.startsWith('/') ? path : `/${path}`,
    headers,
    nowSeconds,
    ...(from !== undefined ? { from } : {}),
    ...(jwt !== undefined ? { jwt } : {}),
    ...(jwtClaims ? { jwtClaims } : {}),
    ...(principal !== undefined ? { principal } : {}),
    ...(sni !== undefined ? { sni } : {}),
  };
}
