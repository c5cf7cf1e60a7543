import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { blockedReason, guardedLookup } from './blocked';
import {
  applyChanges,
  durationMs,
  jwksSourceKey,
  list,
  resolvedJwksConfigMap,
  ROOT_NAMESPACE,
  type Change,
  type ConfigMap,
  type JwksResolution,
  type World,
} from '../model';

// The control plane's JWKS resolver (istiod: pilot/pkg/model/jwks_resolver.go,
// the default "istiod" fetch mode). It fetches the key sets RequestAuthentication
// rules point at, with Node's TLS verification (the system CA store, or `ca`
// when given), keeps them, refreshes them, and hands them to the translator as
// one ConfigMap change. It lives outside src/translate so the translator stays pure.

/** jwks_resolver.go defaults: refresh every 20 minutes, retry failures every minute, forget after 24h unused. */
export const JWKS_REFRESH_MS = 20 * 60_000;
export const JWKS_FAILURE_REFRESH_MS = 60_000;
export const JWKS_EVICT_MS = 24 * 60 * 60_000;
/** jwks_resolver.go: JwtPubKeyRefreshIntervalOnFailureResetThreshold — the back-off stops growing here. */
export const JWKS_FAILURE_BACKOFF_CAP_MS = 60 * 60_000;
const DEFAULT_TIMEOUT_MS = 5000;
/** A key set is small; anything much larger is not one. */
const MAX_BODY_BYTES = 1 << 20;
const OPENID_SUFFIX = '/.well-known/openid-configuration';

export interface JwksResolverOptions {
  log?: Logger;
  /** Extra trust anchors (PEM) instead of Node's default CA store; for tests and private IdPs. */
  ca?: string | Buffer;
  refreshMs?: number;
  failureRefreshMs?: number;
  evictMs?: number;
  rootNamespace?: string;
  /** Injected clock, for tests. */
  now?: () => number;
}

/** What one rule needs fetched. */
export interface JwksWant {
  key: string;
  issuer: string;
  jwksUri?: string;
  timeoutMs: number;
}

interface Entry {
  want: JwksWant;
  result?: JwksResolution;
  fetchedAt: number;
  lastUsed: number;
  /** Failed fetches in a row: each doubles the wait before the next (refreshCache's back-off). */
  failures: number;
  inFlight?: Promise<void>;
}

/** Every rule in the World whose keys the control plane must fetch (no inline `jwks`). */
export function jwksWanted(world: World): JwksWant[] {
  const out = new Map<string, JwksWant>();
  for (const ra of list(world, 'RequestAuthentication'))
    for (const r of ra.spec?.jwtRules ?? []) {
      if (r.jwks || typeof r.issuer !== 'string') continue;
      const key = jwksSourceKey(r);
      if (out.has(key)) continue;
      out.set(key, {
        key,
        issuer: r.issuer,
        ...(r.jwksUri ? { jwksUri: r.jwksUri } : {}),
        timeoutMs: durationMs(r.timeout) ?? DEFAULT_TIMEOUT_MS,
      });
    }
  return [...out.values()];
}

export class JwksResolver {
  private readonly entries = new Map<string, Entry>();
  private timer?: NodeJS.Timeout;
  private published = '';

  constructor(private readonly opts: JwksResolverOptions = {}) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** The current resolutions, one per wanted source. */
  resolutions(): Map<string, JwksResolution> {
    const out = new Map<string, JwksResolution>();
    for (const [k, e] of this.entries) if (e.result) out.set(k, e.result);
    return out;
  }

  configMap(): ConfigMap {
    return resolvedJwksConfigMap(this.resolutions(), this.opts.rootNamespace ?? ROOT_NAMESPACE);
  }

  /**
   * Fetches what `world` needs and is not cached yet (a first fetch, as
   * istiod's GetPublicKey on a push); resolves to the ConfigMap change to
   * apply when the resolutions differ from what was last handed out.
   */
  async sync(world: World): Promise<Change | undefined> {
    const now = this.now();
    const wanted = jwksWanted(world);
    const fetches: Promise<void>[] = [];
    for (const w of wanted) {
      let e = this.entries.get(w.key);
      if (!e) this.entries.set(w.key, (e = { want: w, fetchedAt: 0, lastUsed: now, failures: 0 }));
      e.want = w;
      e.lastUsed = now;
      if (!e.result) fetches.push(this.refresh(e));
    }
    await Promise.all(fetches);
    return this.change();
  }

  /** Refetches entries that are due (istiod's refresher), forgetting ones unused for too long. */
  async refreshDue(): Promise<Change | undefined> {
    const now = this.now();
    const evict = this.opts.evictMs ?? JWKS_EVICT_MS;
    const due: Promise<void>[] = [];
    for (const [k, e] of this.entries) {
      if (now - e.lastUsed > evict) {
        this.entries.delete(k);
        continue;
      }
      const every =
        e.failures === 0
          ? (this.opts.refreshMs ?? JWKS_REFRESH_MS)
          : Math.min(
              (this.opts.failureRefreshMs ?? JWKS_FAILURE_REFRESH_MS) * 2 ** (e.failures - 1),
              JWKS_FAILURE_BACKOFF_CAP_MS,
            );
      if (now - e.fetchedAt >= every) due.push(this.refresh(e));
    }
    await Promise.all(due);
    return this.change();
  }

  /** Runs refreshDue on a timer; `apply` receives each change. */
  start(apply: (c: Change) => void, tickMs = 15_000): void {
    this.stop();
    this.timer = setInterval(() => {
      this.refreshDue().then(
        (c) => c && apply(c),
        (e: unknown) => this.opts.log?.warn({ error: String(e) }, 'JWKS refresh failed'),
      );
    }, tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private change(): Change | undefined {
    const cm = this.configMap();
    const text = JSON.stringify(cm.data);
    if (text === this.published) return undefined;
    this.published = text;
    return { op: 'upsert', object: cm };
  }

  private refresh(e: Entry): Promise<void> {
    if (e.inFlight) return e.inFlight;
    const p = this.fetchKeys(e.want).then((result) => {
      e.failures = 'error' in result ? e.failures + 1 : 0;
      // A refresh that fails keeps the last good keys, as istiod's refresher does.
      if ('error' in result && e.result && 'jwks' in e.result) {
        this.opts.log?.warn({ source: e.want.key, error: result.error }, 'JWKS refresh failed; keeping the last keys');
      } else {
        if ('error' in result) this.opts.log?.warn({ source: e.want.key, error: result.error }, 'JWKS fetch failed');
        e.result = result;
      }
      e.fetchedAt = this.now();
      e.inFlight = undefined;
    });
    e.inFlight = p;
    return p;
  }

  private async fetchKeys(w: JwksWant): Promise<JwksResolution> {
    try {
      let uri = w.jwksUri;
      if (!uri) {
        // jwks_resolver.go: resolveJwksURIUsingOpenID.
        const doc = JSON.parse(await this.get(w.issuer.replace(/\/$/, '') + OPENID_SUFFIX, w.timeoutMs)) as {
          jwks_uri?: unknown;
        };
        if (typeof doc.jwks_uri !== 'string' || doc.jwks_uri === '')
          return { error: `no jwks_uri in the OpenID configuration of ${w.issuer}` };
        uri = doc.jwks_uri;
      }
      const body = await this.get(uri, w.timeoutMs);
      const parsed = JSON.parse(body) as { keys?: unknown };
      if (!Array.isArray(parsed.keys)) return { error: `${uri} did not return a JSON Web Key Set` };
      return { jwks: body };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** One GET with a deadline; TLS is verified (never rejectUnauthorized: false). */
  private get(uri: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        return reject(new Error(`invalid URL ${uri}`));
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        return reject(new Error(`unsupported scheme ${url.protocol} in ${uri}`));
      const literal = blockedReason(url.hostname.replace(/^\[|\]$/g, ''));
      if (literal) return reject(new Error(`GET ${uri}: ${literal}`));
      const options = {
        timeout: timeoutMs,
        lookup: guardedLookup,
        ...(url.protocol === 'https:' && this.opts.ca ? { ca: this.opts.ca } : {}),
      };
      const req = (url.protocol === 'https:' ? https : http).get(url, options, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`GET ${uri}: HTTP ${res.statusCode ?? '?'}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`GET ${uri}: response larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      const deadline = setTimeout(
        () => req.destroy(new Error(`GET ${uri}: timed out after ${timeoutMs}ms`)),
        timeoutMs,
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${uri}: timed out after ${timeoutMs}ms`)));
      req.on('error', (e) => {
        clearTimeout(deadline);
        reject(new Error(`GET ${uri}: ${e.message}`));
      });
      req.on('close', () => clearTimeout(deadline));
    });
  }
}

/** One-shot resolution for the offline commands: `world` plus the keys its RequestAuthentications need. */
export async function withResolvedJwks(world: World, rootNamespace = ROOT_NAMESPACE): Promise<World> {
  const change = await new JwksResolver({ rootNamespace }).sync(world);
  return change ? applyChanges(world, [change]).world : world;
}
