// The waypoint guide's scenario and the binding cases: which waypoint serves
// a destination and why (ambient/waypoints.go: fetchWaypointForService,
// fetchWaypointForWorkload), then what the guide's policies make of it.
import type { Check } from './support';
import { IV, OUT } from './cases-http';

const PRODUCTPAGE = 'default/productpage-v1-675fc69cf-fp65z';

/** The guide's requests; they hold for the seed-bookinfo case and for examples/bookinfo alike. */
export const BOOKINFO_CHECKS: Check[] = [
  {
    why: 'reviews has its own waypoint by its Service label; the 90/10 HTTPRoute sends to v1 and v2, outside that waypoint',
    ask: { from: PRODUCTPAGE, to: 'reviews:9080', path: '/reviews/0' },
    want: {
      outcome: 'forwarded',
      waypoint: 'default/reviews-svc-waypoint',
      clusters: [OUT('reviews-v1', 'default', 9080), OUT('reviews-v2', 'default', 9080)],
      says: '(90%)',
    },
  },
  {
    why: 'details takes the namespace waypoint, where viewer allows GET from namespace default',
    ask: { from: PRODUCTPAGE, to: 'details:9080', path: '/details/0' },
    want: {
      outcome: 'forwarded',
      waypoint: 'default/waypoint',
      policy: 'ns[default]-policy[viewer]-rule[0]',
      clusters: [IV('details', 'default', 9080)],
    },
  },
  {
    why: 'viewer allows GET only',
    ask: { from: PRODUCTPAGE, to: 'details:9080', method: 'POST' },
    want: { outcome: 'denied', status: 403, waypoint: 'default/waypoint' },
  },
  {
    why: 'viewer allows the namespaces default and istio-system only',
    ask: { principal: 'spiffe://cluster.local/ns/other/sa/client', to: 'ratings.default:9080' },
    want: { outcome: 'denied', status: 403 },
  },
  {
    why: 'istio-system callers are viewers too',
    ask: {
      principal: 'spiffe://cluster.local/ns/istio-system/sa/client',
      to: 'ratings.default.svc.cluster.local:9080',
    },
    want: { outcome: 'forwarded', clusters: [IV('ratings', 'default', 9080)] },
  },
  {
    why: 'reviews is not under the namespace waypoint, so viewer does not apply there',
    ask: { from: PRODUCTPAGE, to: 'reviews:9080', method: 'POST' },
    want: { outcome: 'forwarded', waypoint: 'default/reviews-svc-waypoint' },
  },
  {
    why: 'by pod IP, reviews-v2 is served by its workload waypoint, on the chain for bound workloads',
    ask: { from: 'notsleep', to: '10.42.0.5:9080' },
    want: {
      outcome: 'forwarded',
      waypoint: 'default/reviews-v2-pod-waypoint',
      chain: 'direct-http',
      says: '10.42.0.5:9080',
    },
  },
  {
    why: 'by pod IP, details uses no waypoint: the namespace waypoint is for services',
    ask: { from: 'notsleep', to: '10.42.2.4:9080' },
    want: { outcome: 'no-waypoint', says: 'details-v1' },
  },
];

export const SEED_CASES: Record<string, Check[]> = {
  'seed-bookinfo': BOOKINFO_CHECKS,
  'seed-waypoint-for-all': [
    {
      why: 'a waypoint for all traffic serves the service',
      ask: { to: 'productpage:9080' },
      want: { outcome: 'forwarded', waypoint: 'default/waypoint', clusters: [IV('productpage', 'default', 9080)] },
    },
    {
      why: 'and, through the namespace label, its pods by IP',
      ask: { to: '10.244.0.11:9080' },
      want: { outcome: 'forwarded', waypoint: 'default/waypoint', chain: 'direct-http' },
    },
  ],
  'workload-waypoint': [
    {
      why: 'the bound pod’s IP leads to direct-http for HTTP',
      ask: { to: '10.244.0.69:8080' },
      want: { outcome: 'forwarded', waypoint: 'app/pod-waypoint', chain: 'direct-http' },
    },
    {
      why: 'and to direct-tcp for other bytes',
      ask: { to: '10.244.0.69:5000', tcp: true },
      want: { outcome: 'tcp-forwarded', chain: 'direct-tcp' },
    },
    {
      why: 'the Service itself asks for no waypoint; its bound pod is pointed out',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'no-waypoint', says: 'echo-v1-abc12 (10.244.0.69) → app/pod-waypoint' },
    },
  ],
  'cross-namespace-waypoint': [
    {
      why: 'the namespace label names the waypoint in infra (use-waypoint-namespace), which admits all namespaces',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', waypoint: 'infra/waypoint', clusters: [IV('echo')], says: '10.244.0.70' },
    },
  ],
  'canary-waypoint': [
    {
      why: 'the primary waypoint of the namespace serves echo (the canary serves it too)',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', waypoint: 'app/waypoint', clusters: [IV('echo')] },
    },
  ],
};
