// Requests against the HTTPRoute golden cases: the route, backends and
// answer istiod's route conversion gives for each case's input
// (pilot/pkg/config/kube/gateway/conversion.go; networking/core/route).
import type { Check } from './support';

export const IV = (svc: string, ns = 'app', port = 80) => `inbound-vip|${port}|http|${svc}.${ns}.svc.cluster.local`;
export const OUT = (svc: string, ns: string, port = 80) => `outbound|${port}||${svc}.${ns}.svc.cluster.local`;

export const HTTP_CASES: Record<string, Check[]> = {
  'http-backend-header-modifier': [
    {
      why: 'one rule, two weighted backends of 50 each',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', route: 'app.per-backend.0', clusters: [IV('echo'), IV('other')] },
    },
  ],
  'http-backend-not-found': [
    {
      why: 'a backend Service that does not exist keeps its rule and answers 500',
      ask: { to: 'echo.app:80', path: '/gone' },
      want: { outcome: 'cluster-not-found', status: 500, route: 'app.missing.0' },
    },
    {
      why: 'a port the backend Service does not have is unresolvable too',
      ask: { to: 'echo.app:80', path: '/here' },
      want: { outcome: 'cluster-not-found', status: 500, route: 'app.missing.1' },
    },
  ],
  'http-cors': [
    {
      why: 'a CORS filter does not change where a plain request goes',
      ask: { to: 'echo.app:80', headers: [['Origin', 'https://app.example']] },
      want: { outcome: 'forwarded', route: 'app.cors.0', clusters: [IV('echo')] },
    },
  ],
  'http-cross-namespace-no-grant': [
    {
      why: 'a mesh route needs no ReferenceGrant; the backend outside the waypoint gets an outbound cluster',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', clusters: [OUT('target', 'other')] },
    },
  ],
  'http-header-modifiers': [
    {
      why: 'header modifiers change headers, not the destination',
      ask: { to: 'echo.app:80', headers: [['x-drop', '1']] },
      want: { outcome: 'forwarded', route: 'app.headers.0', clusters: [IV('echo')] },
    },
  ],
  'http-header-query-method': [
    {
      why: 'the method rule sorts before the header rule, so a POST with X-Version: 2 takes it',
      ask: { to: 'echo.app:80', method: 'POST', headers: [['X-Version', '2']] },
      want: { outcome: 'forwarded', route: 'app.match.2', clusters: [IV('other')] },
    },
    {
      why: 'a GET with X-Version: 2 takes the header rule',
      ask: { to: 'echo.app:80', headers: [['x-version', '2']] },
      want: { outcome: 'forwarded', route: 'app.match.0', clusters: [IV('other')] },
    },
    {
      why: 'both query parameters match (id is a regex of digits)',
      ask: { to: 'echo.app:80', path: '/?debug=true&id=42' },
      want: { outcome: 'forwarded', route: 'app.match.1', clusters: [IV('other')] },
    },
    {
      why: 'id=abc fails the regex, so only the catch-all rule is left',
      ask: { to: 'echo.app:80', path: '/?debug=true&id=abc' },
      want: { outcome: 'forwarded', route: 'app.match.3', clusters: [IV('echo')] },
    },
  ],
  'http-mirror': [
    {
      why: 'mirroring copies requests; the answer comes from the echo backend',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', route: 'app.mirror.0', clusters: [IV('echo')] },
    },
  ],
  'http-parent-port': [
    {
      why: 'the route is attached to port 9000 only',
      ask: { to: 'echo.app:9000' },
      want: { outcome: 'forwarded', route: 'app.admin-only.0', clusters: [IV('other')] },
    },
    {
      why: 'port 80 keeps the default route to echo',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', chain: IV('echo'), clusters: [IV('echo')] },
    },
  ],
  'http-path-precedence': [
    {
      why: 'Exact /api/exact beats the earlier /api prefix',
      ask: { to: 'echo.app:80', path: '/api/exact' },
      want: { outcome: 'forwarded', route: 'app.paths.1', clusters: [IV('echo')] },
    },
    {
      why: 'the longer prefix /api/v2 beats /api',
      ask: { to: 'echo.app:80', path: '/api/v2/users' },
      want: { outcome: 'forwarded', route: 'app.paths.2', clusters: [IV('echo')] },
    },
    {
      why: 'PathPrefix /api matches whole segments only: /apix is not under it',
      ask: { to: 'echo.app:80', path: '/apix' },
      want: { outcome: 'no-route', status: 404 },
    },
    {
      why: 'the regex rule matches /re/123',
      ask: { to: 'echo.app:80', path: '/re/123' },
      want: { outcome: 'forwarded', route: 'app.paths.3', clusters: [IV('other')] },
    },
  ],
  'http-redirects': [
    {
      why: 'a scheme redirect answers 302 by default',
      ask: { to: 'echo.app:80', path: '/scheme/a' },
      want: { outcome: 'redirect', status: 302, route: 'app.redirect.0' },
    },
    {
      why: 'statusCode 301 is kept',
      ask: { to: 'echo.app:80', path: '/host' },
      want: { outcome: 'redirect', status: 301, route: 'app.redirect.1' },
    },
    {
      why: 'statusCode 308 is kept',
      ask: { to: 'echo.app:80', path: '/prefix/x' },
      want: { outcome: 'redirect', status: 308, route: 'app.redirect.4' },
    },
    {
      why: 'the route has only redirect rules: another path has no route',
      ask: { to: 'echo.app:80', path: '/elsewhere' },
      want: { outcome: 'no-route', status: 404 },
    },
  ],
  'http-rewrites': [
    {
      why: 'a rewrite keeps the backend',
      ask: { to: 'echo.app:80', path: '/prefix/one/two' },
      want: { outcome: 'forwarded', route: 'app.rewrite.0', clusters: [IV('echo')] },
    },
    {
      why: '/old/ of the second route (PathPrefix /old/ is the segment /old)',
      ask: { to: 'echo.app:80', path: '/old/page' },
      want: { outcome: 'forwarded', route: 'app.trailing-slash.0' },
    },
  ],
  'http-route-age-tiebreak': [
    {
      why: 'equal /same matches: the older route (to echo) comes first',
      ask: { to: 'echo.app:80', path: '/same' },
      want: { outcome: 'forwarded', route: 'app.older.0', clusters: [IV('echo')] },
    },
  ],
  'http-route-missing-use-waypoint': [
    {
      why: 'neither the Service nor its namespace asks for the waypoint: the route has no effect',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'no-waypoint' },
    },
  ],
  'http-route-named-rule': [
    {
      why: 'the named rule primary takes /primary; the route entry is named after the rule (conversion.go: convertHTTPRoute)',
      ask: { to: 'echo.app:80', path: '/primary' },
      want: { outcome: 'forwarded', route: 'primary', clusters: [IV('echo')] },
    },
    {
      why: 'everything else takes the rule secondary',
      ask: { to: 'echo.app:80', path: '/x' },
      want: { outcome: 'forwarded', route: 'secondary', clusters: [IV('other')] },
    },
  ],
  'http-timeouts-retries': [
    {
      why: 'the /slow rule sorts before the catch-all retry rule',
      ask: { to: 'echo.app:80', path: '/slow' },
      want: { outcome: 'forwarded', route: 'app.timeouts.0', clusters: [IV('echo')] },
    },
  ],
  'http-weighted-backends': [
    {
      why: 'two backends the waypoint serves (inbound-vip) and one it does not (outbound), by weight',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', clusters: [IV('echo'), IV('other'), OUT('external', 'ext')], says: '(80%)' },
    },
  ],
  'invalid-route-values': [
    {
      why: 'the bad routes are refused; the good regex route is served',
      ask: { to: 'echo.app:80', path: '/api/v1/items' },
      want: { outcome: 'forwarded', route: 'app.good.0', clusters: [IV('other')] },
    },
    {
      why: 'with an HTTPRoute attached its routes replace the default route: other paths have none',
      ask: { to: 'echo.app:80', path: '/', headers: [['x-user', 'a']] },
      want: { outcome: 'no-route', status: 404 },
    },
  ],
  'dr-subsets': [
    {
      why: 'subsets alone change no route: the service keeps its default route and every pod',
      ask: { to: 'reviews.app:9080' },
      want: { outcome: 'forwarded', route: 'default', clusters: [IV('reviews', 'app', 9080)], says: '10.244.2.2' },
    },
  ],
};
