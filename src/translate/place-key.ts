/**
 * The cache key of a waypoint's configuration for proxies in one place.
 * istiod builds EDS for each connected proxy by its own locality and the
 * values of the labels failoverPriority names (its DestinationRules', the
 * mesh config's)
 * (pilot/pkg/xds/endpoints/endpoint_builder.go: BuildClusterLoadAssignment,
 * whose cache key includes both: WriteHash). Here proxies of a waypoint
 * whose pods all share one place keep the waypoint key; when its pods span
 * several, each place with a connected proxy gets a key
 * `<ns>/<name>@<place>` and a translation of its own. A place is
 * `<region>/<zone>/<subzone>`, followed by `;<label>=<value>` for each
 * failoverPriority label whose value differs between the waypoint's pods
 * (label names and values never hold `;` or `=`).
 */
const MARK = '@';

export function placeKey(waypointKey: string, place: string): string {
  return `${waypointKey}${MARK}${place}`;
}

/** The waypoint and place (`locality` in the key's shape above) a place key names; undefined for any other key. */
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

const LABEL_MARK = ';';

/** A place: a full locality and the values of the labels that tell the waypoint's pods apart, sorted by label. */
export function placeOf(locality: string, labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${LABEL_MARK}${k}=${labels[k] ?? ''}`);
  return `${locality}${parts.join('')}`;
}

/** The locality and label values of a place (placeOf's inverse). */
export function splitPlace(place: string): { locality: string; labels: Record<string, string> } {
  const [locality = '', ...parts] = place.split(LABEL_MARK);
  const labels: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq > 0) labels[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { locality, labels };
}
