import { toProtoJson, TypeUrl, type Json } from '../envoy';
import type { WaypointOutput } from './index';

const SECTIONS: [string, string][] = [
  ['clusters', TypeUrl.Cluster],
  ['endpoints', TypeUrl.Endpoint],
  ['listeners', TypeUrl.Listener],
  ['routes', TypeUrl.Route],
];

/** A waypoint's resources as proto3 JSON with @type, by section, in name order. */
export function renderWaypoint(w: WaypointOutput): Record<string, Json[]> {
  const out: Record<string, Json[]> = {};
  for (const [section, url] of SECTIONS) {
    out[section] = (w.resources.get(url) ?? []).map((r) => ({
      '@type': r.typeUrl,
      ...(toProtoJson(r.messageName, r.body) as Record<string, Json>),
    }));
  }
  return out;
}

export const RENDER_SECTIONS = SECTIONS.map(([s]) => s);
