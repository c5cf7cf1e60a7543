import type { ConfigMap } from './core';
import { ROOT_NAMESPACE } from './labels';
import { parseIstioDuration } from './values';

// JWKS the control plane fetched for RequestAuthentication rules (istiod's
// default: pilot/pkg/model/jwks_resolver.go resolves and inlines them). They
// reach the pure translator as one ConfigMap in the World that no source can
// supply: sources keep only the mesh-config ConfigMap (kinds.ts `relevant`).

/** Name of the ConfigMap (in the root namespace) that carries the resolved JWKS. */
export const RESOLVED_JWKS_CONFIGMAP = 'istiod-lite-resolved-jwks';

/** One resolution: the JWKS text, or why there is none. */
export type JwksResolution = { jwks: string } | { error: string };

/** Where a rule's keys come from: its jwksUri, or else OpenID discovery on its issuer. */
export function jwksSourceKey(rule: { issuer: string; jwksUri?: string }): string {
  return rule.jwksUri ? rule.jwksUri : `openid:${rule.issuer}`;
}

export function resolvedJwksConfigMap(
  entries: ReadonlyMap<string, JwksResolution>,
  namespace = ROOT_NAMESPACE,
): ConfigMap {
  const data: Record<string, string> = {};
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) data[k] = JSON.stringify(v);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RESOLVED_JWKS_CONFIGMAP, namespace }, data };
}

export function readResolution(cm: ConfigMap | undefined, key: string): JwksResolution | undefined {
  const raw = cm?.data?.[key];
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<{ jwks: unknown; error: unknown }>;
    if (typeof v.jwks === 'string') return { jwks: v.jwks };
    if (typeof v.error === 'string') return { error: v.error };
  } catch {
    // fall through: an unreadable entry is treated as a failed fetch
  }
  return { error: 'unreadable resolved JWKS entry' };
}

/**
 * A rule's `timeout` in ms, read as every Istio duration is (values.ts:
 * parseIstioDuration, after validation.go: validateJwtRule); undefined when
 * absent or unreadable.
 */
export function durationMs(v: string | undefined): number | undefined {
  const r = v === undefined ? undefined : parseIstioDuration(v);
  return r?.ok ? Math.round(r.value) : undefined;
}
