import { toProtoJson, TypeUrl, type Json, type PreparedResource } from '../envoy';
import { ipTextOf } from '../model/values';
import type { WaypointOutput } from './translator';

const SECTIONS: [string, string][] = [
  ['clusters', TypeUrl.Cluster],
  ['endpoints', TypeUrl.Endpoint],
  ['listeners', TypeUrl.Listener],
  ['routes', TypeUrl.Route],
];

/** Resources as proto3 JSON with @type, by section, in name order. */
export function renderResources(resources: ReadonlyMap<string, readonly PreparedResource[]>): Record<string, Json[]> {
  const out: Record<string, Json[]> = {};
  for (const [section, url] of SECTIONS) {
    out[section] = (resources.get(url) ?? []).map((r) => ({
      '@type': r.typeUrl,
      ...(toProtoJson(r.messageName, r.body) as Record<string, Json>),
    }));
  }
  return out;
}

/** A waypoint's resources, rendered as by renderResources. */
export function renderWaypoint(w: WaypointOutput): Record<string, Json[]> {
  return renderResources(w.resources);
}

export const RENDER_SECTIONS = SECTIONS.map(([s]) => s);

/**
 * Addresses as text: proto3 JSON writes `bytes` fields as base64, which no
 * reader of a golden file can check by eye (istioctl's ztunnel-config shows
 * them as IPs too). Only `address`/`addresses` values that decode to 4 or 16
 * bytes are rewritten.
 */
function withIpText(v: Json, key = ''): Json {
  if (typeof v === 'string' && (key === 'address' || key === 'addresses'))
    return ipTextOf(Buffer.from(v, 'base64')) ?? v;
  if (Array.isArray(v)) return v.map((x) => withIpText(x, key));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withIpText(x, k)]));
  return v;
}

/**
 * The workload API as ztunnel receives it: every Address (services and
 * workloads) and every Authorization, as proto3 JSON in name order. The
 * Workload type repeats the workloads of the addresses and is left out.
 */
export function renderWorkloadApi(resources: ReadonlyMap<string, readonly PreparedResource[]>): Record<string, Json[]> {
  const section = (url: string) =>
    [...(resources.get(url) ?? [])]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((r) => withIpText({ name: r.name, ...(toProtoJson(r.messageName, r.body) as Record<string, Json>) }));
  return { addresses: section(TypeUrl.Address), authorizations: section(TypeUrl.Authorization) };
}
