/**
 * The cache key of a waypoint's configuration for proxies in one locality.
 * istiod builds EDS for each connected proxy by its own locality
 * (pilot/pkg/xds/endpoints/endpoint_builder.go: BuildClusterLoadAssignment,
 * whose cache key includes the proxy's locality: WriteHash). Here proxies of
 * a waypoint whose pods all share one locality keep the waypoint key; when
 * its pods span several, each locality with a connected proxy gets a key
 * `<ns>/<name>@<region>/<zone>/<subzone>` and a translation of its own.
 */
const MARK = '@';

export function placeKey(waypointKey: string, locality: string): string {
  return `${waypointKey}${MARK}${locality}`;
}

/** The waypoint and locality a place key names; undefined for any other key. */
export function parsePlaceKey(key: string): { waypoint: string; locality: string } | undefined {
  const at = key.indexOf(MARK);
  if (at < 0) return undefined;
  return { waypoint: key.slice(0, at), locality: key.slice(at + 1) };
}

/** The waypoint key behind a key (itself when it is not a place key). */
export function waypointKeyOf(key: string): string {
  const at = key.indexOf(MARK);
  return at < 0 ? key : key.slice(0, at);
}

/** `region/zone/subzone` with every part present, so localities compare as strings. */
export function fullLocality(l: string | undefined): string {
  const [region = '', zone = '', subzone = ''] = (l ?? '').split('/');
  return `${region}/${zone}/${subzone}`;
}
