import { toProtoJson, TypeUrl, type Json, type PreparedResource } from '../envoy';
import type { WaypointOutput } from './index';

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
