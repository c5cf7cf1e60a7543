// Requests against the VirtualService golden cases (listener_waypoint.go:
// buildWaypointInboundHTTPRouteConfig, waypointInboundRoute, getWaypointTCPRoutes;
// route.go: TranslateRoute, TranslateRouteMatch).
import type { Check } from './support';
import { IV, OUT } from './cases-http';

const TCP = (svc: string, subset = '') =>
  `inbound-vip|5432|tcp${subset ? `/${subset}` : ''}|${svc}.app.svc.cluster.local`;

export const VS_CASES: Record<string, Check[]> = {
  'vs-http-features': [
    {
      why: 'the jason match (GET, prefix /api in any case, end-user jason, x-any present) routes to subsets v1/v2, which no DestinationRule defines: no such clusters, 503',
      ask: {
        to: 'echo.app:80',
        path: '/API/items',
        headers: [
          ['end-user', 'jason'],
          ['x-any', '1'],
        ],
      },
      want: {
        outcome: 'cluster-not-found',
        status: 503,
        route: 'canary.jason',
        clusters: [
          'inbound-vip|80|http/v1|echo.app.svc.cluster.local',
          'inbound-vip|80|http/v2|echo.app.svc.cluster.local',
        ],
      },
    },
    {
      why: 'the regex route with debug=1 goes to ext in a namespace without waypoint: an outbound cluster',
      ask: { to: 'echo.app:80', path: '/re/abc?debug=1' },
      want: { outcome: 'forwarded', route: 'regex', clusters: [OUT('ext', 'other', 8080)] },
    },
    {
      why: 'withoutHeaders x-skip prefix a excludes the regex route; the catch-all rest takes it',
      ask: { to: 'echo.app:80', path: '/re/abc?debug=1', headers: [['x-skip', 'abc']] },
      want: { outcome: 'forwarded', route: 'rest', clusters: [IV('echo')] },
    },
    {
      why: 'redirect with code 308',
      ask: { to: 'echo.app:80', path: '/old' },
      want: { outcome: 'redirect', status: 308, route: 'moved' },
    },
    {
      why: 'a direct response of 200',
      ask: { to: 'echo.app:80', path: '/healthz' },
      want: { outcome: 'direct-response', status: 200, route: 'health' },
    },
    {
      why: 'POST fails the jason match (GET only): the rest route',
      ask: {
        to: 'echo.app:80',
        method: 'POST',
        path: '/api/x',
        headers: [
          ['end-user', 'jason'],
          ['x-any', '1'],
        ],
      },
      want: { outcome: 'forwarded', route: 'rest', clusters: [IV('echo')] },
    },
  ],
  'vs-httproute-precedence': [
    {
      why: 'the VirtualService exported only to the waypoint namespace comes first',
      ask: { to: 'echo.app:80', path: '/private' },
      want: { outcome: 'forwarded', route: 'vs-private', clusters: [IV('echo')] },
    },
    {
      why: 'the HTTPRoute is one of the route sources',
      ask: { to: 'echo.app:80', path: '/hr' },
      want: { outcome: 'forwarded', route: 'app.echo-route.0', clusters: [IV('shadow')] },
    },
    {
      why: 'the public VirtualService',
      ask: { to: 'echo.app:80', path: '/vs' },
      want: { outcome: 'forwarded', route: 'vs-public', clusters: [IV('shadow')] },
    },
    {
      why: 'the catch-all VirtualServices are not used (other gateway, not exported, other namespace): no route',
      ask: { to: 'echo.app:80', path: '/other' },
      want: { outcome: 'no-route', status: 404 },
    },
  ],
  'vs-tcp-weighted': [
    {
      why: 'the port-5432 rule: 90 to subset stable (no DestinationRule, so no cluster) and 10 to db-v2; weight 0 is left out',
      ask: { to: 'db.app:5432', tcp: true },
      want: { outcome: 'tcp-forwarded', clusters: [TCP('db', 'stable'), TCP('db-v2')], says: 'does not exist' },
    },
  ],
  'vs-tls-before-tcp': [
    {
      why: 'the tls route naming the service host wins over the tcp route and the TCPRoute',
      ask: { to: 'db.app:5432', tcp: true },
      want: { outcome: 'tcp-forwarded', clusters: [TCP('db-v2')] },
    },
  ],
};
