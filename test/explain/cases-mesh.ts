// Requests from the Gateway API mesh conformance tests, against the golden
// cases that pin them, with the backends those tests expect.
import type { Check } from './support';
import { IV } from './cases-http';

const NS = 'gateway-conformance-mesh';
const to = (port = 80) => `echo.${NS}:${port}`;
const v = (svc: string, port = 80) => IV(svc, NS, port);

export const MESH_CASES: Record<string, Check[]> = {
  'mesh-basic': [
    {
      why: 'with no route each port gets its default route to the service itself',
      ask: { to: to() },
      want: { outcome: 'forwarded', waypoint: `${NS}/waypoint`, route: 'default', clusters: [v('echo')] },
    },
    {
      why: 'the second port likewise',
      ask: { to: to(8080) },
      want: { outcome: 'forwarded', clusters: [v('echo', 8080)] },
    },
  ],
  'mesh-consumer-route': [
    {
      why: 'a route from a consumer namespace is not the waypoint’s to apply',
      ask: { to: to() },
      want: { outcome: 'forwarded', clusters: [v('echo')] },
    },
  ],
  'mesh-httproute-matching': [
    {
      why: 'prefix / goes to v1',
      ask: { to: to(), path: '/' },
      want: { outcome: 'forwarded', clusters: [v('echo-v1')] },
    },
    {
      why: 'prefix /v2 goes to v2',
      ask: { to: to(), path: '/v2' },
      want: { outcome: 'forwarded', clusters: [v('echo-v2')] },
    },
    {
      why: 'header version: two goes to v2',
      ask: { to: to(), path: '/', headers: [['version', 'two']] },
      want: { outcome: 'forwarded', clusters: [v('echo-v2')] },
    },
    {
      why: 'the longer /v2 prefix sorts before the header match for version: one',
      ask: { to: to(), path: '/v2', headers: [['version', 'one']] },
      want: { outcome: 'forwarded', clusters: [v('echo-v2')] },
    },
  ],
  'mesh-httproute-query-param': [
    {
      why: 'animal=whale',
      ask: { to: to(), path: '/?animal=whale' },
      want: { outcome: 'forwarded', clusters: [v('echo-v1')] },
    },
    {
      why: 'animal=dolphin',
      ask: { to: to(), path: '/?animal=dolphin' },
      want: { outcome: 'forwarded', clusters: [v('echo-v2')] },
    },
    {
      why: 'two query matches sort before one',
      ask: { to: to(), path: '/?animal=dolphin&color=blue' },
      want: { outcome: 'forwarded', clusters: [v('echo-v1')] },
    },
    {
      why: 'names are case-sensitive: ANIMAL=Whale takes the last rule',
      ask: { to: to(), path: '/?ANIMAL=Whale' },
      want: { outcome: 'forwarded', clusters: [v('echo-v2')] },
    },
  ],
  'mesh-httproute-redirect': [
    { why: 'scheme redirect, 302', ask: { to: to(), path: '/scheme' }, want: { outcome: 'redirect', status: 302 } },
    {
      why: 'hostname with status 301',
      ask: { to: to(), path: '/hostname' },
      want: { outcome: 'redirect', status: 301 },
    },
    {
      why: 'path prefix replacement, 302',
      ask: { to: to(), path: '/path/x' },
      want: { outcome: 'redirect', status: 302 },
    },
  ],
  'mesh-httproute-request-header-modifier': [
    {
      why: 'the /set rule forwards to echo',
      ask: { to: to(), path: '/set' },
      want: { outcome: 'forwarded', clusters: [v('echo')] },
    },
  ],
  'mesh-httproute-rewrite-path': [
    {
      why: 'a rewritten path still goes to echo',
      ask: { to: to(), path: '/prefix/one/two' },
      want: { outcome: 'forwarded', clusters: [v('echo')] },
    },
  ],
  'mesh-httproute-weight': [
    {
      why: '70/30 between v1 and v2',
      ask: { to: to() },
      want: { outcome: 'forwarded', clusters: [v('echo-v1'), v('echo-v2')], says: '(70%)' },
    },
  ],
  'mesh-ports': [
    {
      why: 'the port-80 route goes to v1',
      ask: { to: to(80) },
      want: { outcome: 'forwarded', clusters: [v('echo-v1')] },
    },
    {
      why: 'the port-8080 route goes to v2 on 8080',
      ask: { to: to(8080) },
      want: { outcome: 'forwarded', clusters: [v('echo-v2', 8080)] },
    },
  ],
  'mesh-traffic-split': [
    { why: 'Exact /v1', ask: { to: to(), path: '/v1' }, want: { outcome: 'forwarded', clusters: [v('echo-v1')] } },
    { why: 'Exact /v2', ask: { to: to(), path: '/v2' }, want: { outcome: 'forwarded', clusters: [v('echo-v2')] } },
    {
      why: 'routes of an HTTPRoute replace the default route, with no catch-all added (listener_waypoint.go: buildWaypointInboundHTTPRouteConfig)',
      ask: { to: to(), path: '/v3' },
      want: { outcome: 'no-route', status: 404 },
    },
  ],
};
