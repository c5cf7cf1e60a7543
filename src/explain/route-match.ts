// RDS evaluation: the virtual host by domain, then the first route whose
// match holds (Envoy route/v3 RouteMatch and VirtualHost.domains).
import {
  arr,
  describeHeader,
  describeString,
  fullMatch,
  has,
  headerMatches,
  obj,
  pathOnly,
  str,
  stringMatches,
  templateMatches,
  type Headers,
} from './matchers';

export interface HttpRequest {
  method: string;
  /** :path, with its query string. */
  path: string;
  authority: string;
  headers: Headers;
}

/**
 * Envoy's domain search: an exact name, then the longest `*.suffix`, then the
 * longest `prefix.*`, then `*` (route/v3 VirtualHost.domains).
 */
export function pickVirtualHost(
  vhosts: readonly unknown[],
  authority: string,
): { vhost: Record<string, unknown>; domain: string } | undefined {
  const host = authority.toLowerCase();
  let best: { vhost: Record<string, unknown>; domain: string; rank: number; len: number } | undefined;
  for (const v of vhosts) {
    for (const d of arr(obj(v).domains)) {
      const domain = (str(d) ?? '').toLowerCase();
      let rank = 0;
      if (domain === host) rank = 4;
      else if (domain === '*') rank = 1;
      else if (domain.startsWith('*') && host.endsWith(domain.slice(1)) && host.length > domain.length - 1) rank = 3;
      else if (domain.endsWith('*') && host.startsWith(domain.slice(0, -1)) && host.length > domain.length - 1)
        rank = 2;
      if (rank === 0) continue;
      if (!best || rank > best.rank || (rank === best.rank && domain.length > best.len))
        best = { vhost: obj(v), domain: str(d) ?? '', rank, len: domain.length };
    }
  }
  return best && { vhost: best.vhost, domain: best.domain };
}

function queryOf(path: string): Map<string, string> {
  const q = new Map<string, string>();
  const i = path.indexOf('?');
  if (i < 0) return q;
  for (const part of path.slice(i + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    if (!q.has(k)) q.set(k, eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1)));
  }
  return q;
}

/** Why a RouteMatch does not hold for the request, or undefined when it does. */
export function routeMismatch(match: unknown, req: HttpRequest): string | undefined {
  const m = obj(match);
  if (has(m, 'connectMatcher')) return req.method === 'CONNECT' ? undefined : 'matches CONNECT requests only';
  const cs = m.caseSensitive !== false;
  const fold = (s: string) => (cs ? s : s.toLowerCase());
  const full = req.path;
  const path = pathOnly(full);
  const prefix = str(m.prefix);
  const exact = str(m.path);
  const sep = str(m.pathSeparatedPrefix);
  const re = str(obj(m.safeRegex).regex);
  if (prefix !== undefined && !fold(full).startsWith(fold(prefix))) return `path ${path} has no prefix ${prefix}`;
  if (exact !== undefined && fold(path) !== fold(exact)) return `path ${path} is not ${exact}`;
  if (sep !== undefined) {
    const p = fold(path);
    const s = fold(sep);
    if (!(p === s || p.startsWith(s.endsWith('/') ? s : `${s}/`))) return `path ${path} is not ${sep} or below it`;
  }
  if (re !== undefined && !fullMatch(re, path)) return `path ${path} does not match regex ${re}`;
  if (has(m, 'pathMatchPolicy')) {
    const tpl = str(obj(obj(m.pathMatchPolicy).typedConfig).pathTemplate);
    if (tpl !== undefined && !templateMatches(tpl, path)) return `path ${path} does not fit template ${tpl}`;
  }
  if (has(m, 'grpc') && !(req.headers.get('content-type') ?? '').startsWith('application/grpc'))
    return 'not a gRPC request (content-type application/grpc)';
  for (const h of arr(m.headers)) if (!headerMatches(h, req.headers)) return `${describeHeader(h)} does not hold`;
  const query = queryOf(full);
  for (const q of arr(m.queryParameters)) {
    const o = obj(q);
    const name = str(o.name) ?? '';
    const v = query.get(name);
    if (has(o, 'presentMatch')) {
      if (v === undefined) return `query parameter ${name} is absent`;
    } else if (!stringMatches(o.stringMatch, v))
      return `query parameter ${name}${v === undefined ? ' is absent' : `=${v}`}, wanted ${describeString(o.stringMatch)}`;
  }
  return undefined;
}

/** A RouteMatch as text: its path rule and any header/query conditions. */
export function describeMatch(match: unknown): string {
  const m = obj(match);
  const out: string[] = [];
  if (has(m, 'connectMatcher')) out.push('CONNECT');
  if (str(m.prefix) !== undefined) out.push(`prefix ${str(m.prefix)}`);
  if (str(m.path) !== undefined) out.push(`path ${str(m.path)}`);
  if (str(m.pathSeparatedPrefix) !== undefined) out.push(`path prefix ${str(m.pathSeparatedPrefix)}`);
  if (str(obj(m.safeRegex).regex) !== undefined) out.push(`path regex ${str(obj(m.safeRegex).regex)}`);
  for (const h of arr(m.headers)) out.push(describeHeader(h));
  for (const q of arr(m.queryParameters)) {
    const o = obj(q);
    out.push(`query ${str(o.name)} ${has(o, 'presentMatch') ? 'present' : describeString(o.stringMatch)}`);
  }
  if (m.caseSensitive === false) out.push('any case');
  return out.join(', ') || 'anything';
}
