// jwt_authn evaluation (extensions/filters/http/jwt_authn/v3): the first rule
// whose match holds gives the requirement; a provider verifies a token found
// where it looks (Authorization: Bearer and ?access_token by default), by
// issuer, audience, time and signature; a verified payload goes to dynamic
// metadata, where RBAC's request.auth.* rules read it.
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { arr, has, obj, str } from './matchers';
import { routeMismatch, type HttpRequest } from './route-match';

/** Envoy's 401 bodies (jwt_authn status strings). */
export const JWT_ERRORS = {
  missing: 'Jwt is missing',
  unknownIssuer: 'Jwt issuer is not configured',
  audience: 'Audiences in Jwt are not allowed',
  expired: 'Jwt is expired',
  notYetValid: 'Jwt not yet valid',
  malformed: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  signature: 'Jwt verification fails',
} as const;

export interface JwtOutcome {
  /** The rule that applied (index into rules), if any. */
  rule?: number;
  requirement: string;
  ok: boolean;
  error?: string;
  /** Providers whose verification succeeded, and what they left in metadata. */
  verified: string[];
  payload?: Record<string, unknown>;
  payloadKey?: string;
  notes: string[];
}

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The token a provider finds in the request: its from_headers/from_params, else Envoy's defaults. */
function tokenFor(provider: Record<string, unknown>, req: HttpRequest): string | undefined {
  const fromHeaders = arr(provider.fromHeaders).map(obj);
  const fromParams = arr(provider.fromParams).map((p) => str(p) ?? '');
  const useDefault = fromHeaders.length === 0 && fromParams.length === 0;
  const headers: { name: string; prefix: string }[] = useDefault
    ? [{ name: 'authorization', prefix: 'Bearer ' }]
    : fromHeaders.map((h) => ({ name: (str(h.name) ?? '').toLowerCase(), prefix: str(h.valuePrefix) ?? '' }));
  for (const h of headers) {
    const v = req.headers.get(h.name);
    if (v !== undefined && v.startsWith(h.prefix)) return v.slice(h.prefix.length).trim();
  }
  const params = useDefault ? ['access_token'] : fromParams;
  const q = req.path.indexOf('?');
  if (q >= 0)
    for (const part of req.path.slice(q + 1).split('&')) {
      const [k, v] = part.split('=');
      if (k && params.includes(decodeURIComponent(k)) && v) return decodeURIComponent(v);
    }
  return undefined;
}

const ALGS: Record<string, { hash: string; ec?: boolean; pss?: boolean }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
};

/** true / false when the inline JWKS decides, undefined when it cannot be checked here. */
function signatureValid(token: string, header: Record<string, unknown>, jwks: string | undefined): boolean | undefined {
  if (header.alg === 'none') return undefined;
  if (jwks === undefined) return undefined;
  const alg = ALGS[str(header.alg) ?? ''];
  if (!alg) return undefined;
  let keys: Record<string, unknown>[];
  try {
    keys = arr(obj(JSON.parse(jwks)).keys).map(obj);
  } catch {
    return false;
  }
  const kid = str(header.kid);
  const [h, p, s] = token.split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s ?? '', 'base64url');
  return keys
    .filter((k) => kid === undefined || k.kid === undefined || k.kid === kid)
    .some((k) => {
      try {
        const key = createPublicKey({ key: k as JsonWebKey, format: 'jwk' });
        return verify(
          alg.hash,
          data,
          alg.ec ? { key, dsaEncoding: 'ieee-p1363' } : alg.pss ? { key, padding: 6 } : key,
          sig,
        );
      } catch {
        return false;
      }
    });
}

interface ProviderResult {
  status: 'ok' | 'missing' | 'failed';
  error?: string;
  payload?: Record<string, unknown>;
  note?: string;
}

/** Splits the configured space-delimited claims into lists, as normalize_payload_in_metadata does. */
function normalized(provider: Record<string, unknown>, claims: Record<string, unknown>): Record<string, unknown> {
  const out = { ...claims };
  for (const c of arr(obj(provider.normalizePayloadInMetadata).spaceDelimitedClaims)) {
    const k = str(c);
    const v = k !== undefined ? out[k] : undefined;
    if (k !== undefined && typeof v === 'string') out[k] = v.split(' ').filter((x) => x !== '');
  }
  return out;
}

function verifyProvider(provider: Record<string, unknown>, req: HttpRequest, nowSeconds: number): ProviderResult {
  const token = tokenFor(provider, req);
  if (token === undefined) return { status: 'missing', error: JWT_ERRORS.missing };
  const parts = token.split('.');
  const header = parts.length === 3 ? b64json(parts[0] ?? '') : undefined;
  const claims = parts.length === 3 ? b64json(parts[1] ?? '') : undefined;
  if (!header || !claims) return { status: 'failed', error: JWT_ERRORS.malformed };
  const issuer = str(provider.issuer);
  if (issuer !== undefined && issuer !== '' && claims.iss !== issuer)
    return { status: 'failed', error: JWT_ERRORS.unknownIssuer };
  const audiences = arr(provider.audiences).map((a) => str(a) ?? '');
  if (audiences.length > 0) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && audiences.includes(a)))
      return { status: 'failed', error: JWT_ERRORS.audience };
  }
  if (typeof claims.exp === 'number' && claims.exp < nowSeconds) return { status: 'failed', error: JWT_ERRORS.expired };
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds)
    return { status: 'failed', error: JWT_ERRORS.notYetValid };
  const sig = signatureValid(token, header, str(obj(provider.localJwks).inlineString));
  if (sig === false) return { status: 'failed', error: JWT_ERRORS.signature };
  return {
    status: 'ok',
    payload: normalized(provider, claims),
    ...(sig === undefined ? { note: 'signature not checked (unsigned claims, or keys not inline)' } : {}),
  };
}

/** Which failure Envoy reports when no alternative of requires_any passed. */
function worst(errors: ProviderResult[]): ProviderResult {
  return (
    errors.find((e) => e.error !== JWT_ERRORS.missing && e.error !== JWT_ERRORS.unknownIssuer) ??
    errors.find((e) => e.error === JWT_ERRORS.unknownIssuer) ??
    errors[0] ?? { status: 'missing', error: JWT_ERRORS.missing }
  );
}

interface ReqResult extends ProviderResult {
  verified: { provider: string; payload: Record<string, unknown> }[];
}

function evalRequirement(
  r: unknown,
  providers: Record<string, unknown>,
  req: HttpRequest,
  now: number,
  notes: string[],
): ReqResult {
  const o = obj(r);
  const name = str(o.providerName) ?? str(obj(o.providerAndAudiences).providerName);
  if (name !== undefined) {
    const res = verifyProvider(obj(providers[name]), req, now);
    if (res.note) notes.push(`${name}: ${res.note}`);
    return { ...res, verified: res.status === 'ok' && res.payload ? [{ provider: name, payload: res.payload }] : [] };
  }
  if (has(o, 'allowMissingOrFailed')) return { status: 'ok', verified: [] };
  if (has(o, 'allowMissing')) {
    // A token is judged by the provider of its issuer; none found is fine.
    const all = Object.keys(providers).map((p) => verifyProvider(obj(providers[p]), req, now));
    if (all.every((x) => x.status === 'missing')) return { status: 'ok', verified: [] };
    if (all.some((x) => x.status === 'ok')) return { status: 'ok', verified: [] };
    return { ...worst(all.filter((x) => x.status !== 'missing')), verified: [] };
  }
  if (has(o, 'requiresAny')) {
    const subs = arr(obj(o.requiresAny).requirements).map((x) => evalRequirement(x, providers, req, now, notes));
    const verified = subs.flatMap((s) => s.verified);
    if (subs.some((s) => s.status === 'ok')) return { status: 'ok', verified };
    return { ...worst(subs), verified };
  }
  if (has(o, 'requiresAll')) {
    const subs = arr(obj(o.requiresAll).requirements).map((x) => evalRequirement(x, providers, req, now, notes));
    const failed = subs.find((s) => s.status !== 'ok');
    return failed ? { ...failed, verified: [] } : { status: 'ok', verified: subs.flatMap((s) => s.verified) };
  }
  return { status: 'ok', verified: [] };
}

function describeRequirement(r: unknown): string {
  const o = obj(r);
  const name = str(o.providerName) ?? str(obj(o.providerAndAudiences).providerName);
  if (name !== undefined) return name;
  if (has(o, 'allowMissing')) return 'allow missing';
  if (has(o, 'allowMissingOrFailed')) return 'allow missing or failed';
  if (has(o, 'requiresAny'))
    return `any of (${arr(obj(o.requiresAny).requirements).map(describeRequirement).join(', ')})`;
  if (has(o, 'requiresAll'))
    return `all of (${arr(obj(o.requiresAll).requirements).map(describeRequirement).join(', ')})`;
  return 'nothing';
}

/** Runs one jwt_authn filter over the request. `nowSeconds` is the clock exp/nbf are checked against. */
export function evaluateJwt(config: unknown, req: HttpRequest, nowSeconds: number): JwtOutcome {
  const o = obj(config);
  const providers = obj(o.providers);
  const rules = arr(o.rules);
  const i = rules.findIndex((r) => routeMismatch(obj(r).match, req) === undefined);
  const notes: string[] = [];
  if (i < 0) return { requirement: 'none (no rule matches)', ok: true, verified: [], notes };
  const rule = obj(rules[i]);
  const res = evalRequirement(rule.requires, providers, req, nowSeconds, notes);
  const first = res.verified[0];
  const payloadKey = first ? str(obj(providers[first.provider]).payloadInMetadata) : undefined;
  return {
    rule: i,
    requirement: describeRequirement(rule.requires),
    ok: res.status === 'ok',
    ...(res.status !== 'ok' ? { error: res.error ?? JWT_ERRORS.missing } : {}),
    verified: res.verified.map((v) => v.provider),
    ...(first && payloadKey ? { payload: first.payload, payloadKey } : {}),
    notes,
  };
}
