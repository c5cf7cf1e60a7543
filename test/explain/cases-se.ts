// Requests to ServiceEntry hosts on a waypoint: the address ztunnel captures
// (the entry's own, else the allocator's in status), the route, and the
// cluster (cluster_waypoint.go: buildWaypointInboundVIPCluster; policies.go
// for AuthorizationPolicy targetRefs naming an entry).
import type { Check } from './support';

const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';

export const SE_CASES: Record<string, Check[]> = {
  'serviceentry-authz-targetref': [
    {
      why: 'sleep may GET httpbin.org',
      ask: { to: 'httpbin.org:80', principal: SLEEP },
      want: {
        outcome: 'forwarded',
        waypoint: 'istio-egress/waypoint',
        policy: 'ns[istio-egress]-policy[httpbin-get-only]-rule[0]',
        clusters: ['inbound-vip|80|http|httpbin.org'],
      },
    },
    {
      why: 'a POST is not allowed on httpbin.org',
      ask: { to: 'httpbin.org:80', principal: SLEEP, method: 'POST' },
      want: { outcome: 'denied', status: 403 },
    },
    {
      why: 'the policy targets httpbin.org only; example.com on the same waypoint is open',
      ask: { to: 'example.com:80', principal: SLEEP, method: 'POST' },
      want: { outcome: 'forwarded', clusters: ['inbound-vip|80|http|example.com'] },
    },
    {
      why: 'an entry without the label uses no waypoint',
      ask: { to: 'unbound.example.com:80' },
      want: { outcome: 'no-waypoint' },
    },
  ],
  'serviceentry-dns': [
    {
      why: 'the allocated address leads to the STRICT_DNS cluster resolving httpbin.org itself',
      ask: { to: 'httpbin.org:80' },
      want: { outcome: 'forwarded', clusters: ['inbound-vip|80|http|httpbin.org'], says: 'httpbin.org:80' },
    },
    {
      why: 'the TCP port of the round-robin entry',
      ask: { to: 'api.example.com:8443', tcp: true },
      want: { outcome: 'tcp-forwarded', clusters: ['inbound-vip|8443|tcp|api.example.com'] },
    },
    {
      why: 'an entry opted out of allocation has no address ztunnel could capture',
      ask: { to: 'opted-out.example.com:80' },
      want: { outcome: 'unknown-destination' },
    },
  ],
  'serviceentry-route-parent': [
    {
      why: 'the route with the entry as parent sends to the entry’s own inbound-vip cluster',
      ask: { to: 'httpbin.org:80', path: '/get' },
      want: {
        outcome: 'forwarded',
        route: 'istio-egress.httpbin.org.0',
        clusters: ['inbound-vip|80|http|httpbin.org'],
      },
    },
    {
      why: 'the second route is attached through its valid parent; its Hostname backend is unknown: 500',
      ask: { to: 'httpbin.org:80', path: '/nowhere' },
      want: { outcome: 'cluster-not-found', status: 500, route: 'istio-egress.broken.0' },
    },
  ],
  'serviceentry-static': [
    {
      why: 'the entry’s /32 address, its inline endpoint and the selected WorkloadEntry',
      ask: { to: '240.240.0.10:80' },
      want: { outcome: 'forwarded', waypoint: 'vms/waypoint', clusters: ['inbound-vip|80|http|legacy.vms.internal'] },
    },
    {
      why: 'by host name, the same',
      ask: { to: 'legacy.vms.internal:80' },
      want: { outcome: 'forwarded', clusters: ['inbound-vip|80|http|legacy.vms.internal'], says: '10.200.0.5:9080' },
    },
  ],
  'serviceentry-wildcard-egress': [
    {
      why: 'a host under the wildcard: the route answers it and the dynamic forward proxy resolves it',
      ask: { to: 'en.wikipedia.org:80', path: '/wiki/Istio' },
      want: {
        outcome: 'forwarded',
        route: 'istio-egress.wikipedia.0',
        clusters: ['inbound-vip|80|http|*.wikipedia.org'],
      },
    },
    {
      why: 'the route matches /wiki only',
      ask: { to: 'en.wikipedia.org:80', path: '/w/index.php' },
      want: { outcome: 'no-route', status: 404 },
    },
  ],
};
