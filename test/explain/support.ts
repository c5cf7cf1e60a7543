// Runs explain over a directory of manifests as the CLI does offline:
// translate, render each waypoint's resources as proto3 JSON, evaluate.
import { sign, type KeyObject } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifests } from '../../src/watch/load';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';
import { explain, type EnvoyConfig, type Explanation, type ExplainInput, type Outcome } from '../../src/explain';

export interface Ask {
  to: string;
  from?: string;
  principal?: string;
  method?: string;
  path?: string;
  headers?: [string, string][];
  jwt?: string;
  jwtClaims?: Record<string, unknown>;
  tcp?: boolean;
  sni?: string;
}

export interface Want {
  outcome: Outcome;
  status?: number;
  /** The waypoint (`ns/name`) that serves the destination. */
  waypoint?: string;
  /** The filter chain of main_internal. */
  chain?: string;
  /** The chosen route's name. */
  route?: string;
  /** A policy (full RBAC policy name) that matched in an enforcing or shadow engine. */
  policy?: string;
  /** Every cluster the route or tcp_proxy sends to, by name. */
  clusters?: string[];
  /** Text the answer must contain. */
  says?: string;
}

export interface Check {
  /** Why this is the answer, by istiod's semantics for the case's input. */
  why: string;
  ask: Ask;
  want: Want;
}

/** A fixed clock for token times: 2026-01-01T00:00:00Z. */
export const NOW = 1_767_225_600;

export async function explainer(dir: string): Promise<(a: Ask) => Explanation> {
  const files = statSync(dir).isDirectory()
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f) && (f.startsWith('input') || !dir.includes('golden')))
        .sort()
        .map((f) => join(dir, f))
    : [dir];
  const { world } = await loadManifests(files);
  const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
  const configOf = (key: string): EnvoyConfig | undefined => {
    const w = result.waypoints.get(key);
    if (!w) return undefined;
    const r = renderWaypoint(w);
    return {
      listeners: r.listeners ?? [],
      routes: r.routes ?? [],
      clusters: r.clusters ?? [],
      endpoints: r.endpoints ?? [],
    };
  };
  return (a: Ask) => {
    const input: ExplainInput = {
      to: a.to,
      namespace: 'default',
      protocol: a.tcp ? 'tcp' : 'http',
      method: a.method ?? 'GET',
      path: a.path ?? '/',
      headers: a.headers ?? [],
      nowSeconds: NOW,
      ...(a.from !== undefined ? { from: a.from } : {}),
      ...(a.principal !== undefined ? { principal: a.principal } : {}),
      ...(a.jwt !== undefined ? { jwt: a.jwt } : {}),
      ...(a.jwtClaims !== undefined ? { jwtClaims: a.jwtClaims } : {}),
      ...(a.sni !== undefined ? { sni: a.sni } : {}),
    };
    return explain(world, result.index, configOf, input, DEFAULT_OPTIONS.trustDomain);
  };
}

/** The differences between an explanation and what is wanted, in words (empty when it holds). */
export function mismatches(e: Explanation, w: Want): string[] {
  const out: string[] = [];
  const j = e.journey;
  if (e.verdict.outcome !== w.outcome) out.push(`outcome ${e.verdict.outcome}, want ${w.outcome}`);
  if (w.status !== undefined && e.verdict.status !== w.status) out.push(`status ${e.verdict.status}, want ${w.status}`);
  if (w.waypoint !== undefined && e.waypoint?.waypoint !== w.waypoint)
    out.push(`waypoint ${e.waypoint?.waypoint}, want ${w.waypoint}`);
  if (w.chain !== undefined && j?.chain !== w.chain) out.push(`chain ${j?.chain}, want ${w.chain}`);
  if (w.route !== undefined && j?.route?.route?.name !== w.route)
    out.push(`route ${j?.route?.route?.name}, want ${w.route}`);
  if (w.policy !== undefined) {
    const matched = (j?.filters ?? []).flatMap((f) => (f.rbac ?? []).flatMap((r) => r.matched));
    if (!matched.includes(w.policy))
      out.push(`policy ${w.policy} did not match (matched: ${matched.join(', ') || 'none'})`);
  }
  if (w.clusters !== undefined) {
    const got = (j?.clusters ?? []).map((c) => c.name).sort();
    if (JSON.stringify(got) !== JSON.stringify([...w.clusters].sort()))
      out.push(`clusters ${got.join(', ')}, want ${w.clusters.join(', ')}`);
  }
  if (w.says !== undefined && !e.verdict.summary.includes(w.says))
    out.push(`answer "${e.verdict.summary}" lacks "${w.says}"`);
  return out;
}

/** A token signed with `key` (RS256): for checks that need a real signature. */
export function signedToken(claims: Record<string, unknown>, key: KeyObject): string {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const data = `${b({ alg: 'RS256', typ: 'JWT' })}.${b(claims)}`;
  return `${data}.${sign('sha256', Buffer.from(data), key).toString('base64url')}`;
}
