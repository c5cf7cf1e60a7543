// Requests against the AuthorizationPolicy golden cases and the answers
// istiod's semantics give for each case's input (builder.go, model.go,
// generator.go under pilot/pkg/security/authz; policyattachment.go).
import type { Check } from './support';

const sa = (ns: string, name: string) => `spiffe://cluster.local/ns/${ns}/sa/${name}`;
const echo = (n: number) => `inbound-vip|80|http|echo.app.svc.cluster.local`.replace('80', String(n));

export const AUTHZ_CASES: Record<string, Check[]> = {
  'authz-allow-nothing': [
    {
      why: 'an ALLOW policy without rules allows nothing (builder.go: rbacPolicyMatchNever)',
      ask: { to: 'echo.app:80', principal: sa('app', 'any') },
      want: { outcome: 'denied', status: 403, waypoint: 'app/waypoint' },
    },
  ],
  'authz-allow-service': [
    {
      why: 'reader, GET, /api/* is the one rule of allow-reader',
      ask: { to: 'echo.app:80', principal: sa('app', 'reader'), path: '/api/items' },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[allow-reader]-rule[0]', clusters: [echo(80)] },
    },
    {
      why: 'POST is not among the rule methods: no ALLOW matches, so denied',
      ask: { to: 'echo.app:80', principal: sa('app', 'reader'), method: 'POST', path: '/api/items' },
      want: { outcome: 'denied', status: 403 },
    },
    {
      why: 'another service account does not match the principals',
      ask: { to: 'echo.app:80', principal: sa('app', 'writer'), path: '/api/items' },
      want: { outcome: 'denied', status: 403 },
    },
    {
      why: 'the policy targets the echo Service only; other keeps no ALLOW policy',
      ask: { to: 'other.app:80', principal: sa('app', 'writer'), method: 'POST' },
      want: { outcome: 'forwarded', clusters: ['inbound-vip|80|http|other.app.svc.cluster.local'] },
    },
  ],
  'authz-audit': [
    {
      why: 'AUDIT marks DELETE for logging and decides nothing',
      ask: { to: 'echo.app:80', method: 'DELETE' },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[audit]-rule[0]' },
    },
    {
      why: 'a GET is neither audited nor restricted',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded' },
    },
  ],
  'authz-deny-waypoint': [
    {
      why: 'a Gateway-targeted DENY covers the service: /admin* on a host other than internal.example',
      ask: { to: 'echo.app:80', path: '/admin/users' },
      want: { outcome: 'denied', status: 403, policy: 'ns[app]-policy[deny-admin]-rule[0]' },
    },
    {
      why: 'notHosts excludes internal.example from the DENY',
      ask: { to: 'echo.app:80', path: '/admin/users', headers: [['Host', 'internal.example']] },
      want: { outcome: 'forwarded' },
    },
    {
      why: 'other paths are not denied',
      ask: { to: 'echo.app:80', path: '/public' },
      want: { outcome: 'forwarded' },
    },
  ],
  'authz-custom-grpc': [
    {
      why: 'rule 0 (/admin/*) matches: the gRPC ext_authz server decides',
      ask: { to: 'echo.app:80', from: '10.244.1.1', path: '/admin/x' },
      want: { outcome: 'ext-authz', policy: 'istio-ext-authz-ext-authz-grpc-ns[app]-policy[ext-grpc]-rule[0]' },
    },
    {
      why: 'neither rule matches a pod-network caller on /public, so ext_authz is not asked',
      ask: { to: 'echo.app:80', from: '10.244.1.1', path: '/public' },
      want: { outcome: 'forwarded' },
    },
    {
      why: 'rule 1 (notIpBlocks 10.244.0.0/16) matches a caller outside the pod network',
      ask: { to: 'echo.app:80', from: '192.168.1.1', path: '/public' },
      want: { outcome: 'ext-authz', policy: 'istio-ext-authz-ext-authz-grpc-ns[app]-policy[ext-grpc]-rule[1]' },
    },
    {
      why: 'on TCP the path condition is dropped, so rule 0 matches every connection and ext_authz is asked',
      ask: { to: 'db.app:5432', from: '10.244.1.1', tcp: true },
      want: { outcome: 'ext-authz', chain: 'inbound-vip|5432|tcp|db.app.svc.cluster.local' },
    },
  ],
  'authz-custom-http': [
    {
      why: 'rule 0 (/admin/*) matches: the HTTP ext_authz server decides',
      ask: { to: 'echo.app:80', path: '/admin/x' },
      want: { outcome: 'ext-authz', policy: 'istio-ext-authz-ext-authz-http-ns[app]-policy[ext-http]-rule[0]' },
    },
    {
      why: 'other paths are not sent to the provider',
      ask: { to: 'echo.app:80', path: '/public' },
      want: { outcome: 'forwarded' },
    },
    {
      why: 'an HTTP provider cannot check TCP: what the policy matches (all, without its path) is denied',
      ask: { to: 'db.app:5432', tcp: true },
      want: {
        outcome: 'tcp-closed',
        policy: 'istio-ext-authz-ext-authz-http-ns[app]-policy[ext-http]-rule[0]-deny-due-to-bad-CUSTOM-action',
      },
    },
  ],
  'authz-custom-without-provider': [
    {
      why: 'CUSTOM with an unknown provider denies what it matches',
      ask: { to: 'echo.app:80', path: '/secure/data' },
      want: {
        outcome: 'denied',
        status: 403,
        policy: 'istio-ext-authz-oauth2-proxy-ns[app]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action',
      },
    },
    {
      why: 'requests it does not match pass',
      ask: { to: 'echo.app:80', path: '/open' },
      want: { outcome: 'forwarded' },
    },
  ],
  'authz-dry-run': [
    {
      why: 'a dry-run DENY only records its match',
      ask: { to: 'echo.app:80', method: 'POST' },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[try-deny]-rule[0]' },
    },
    {
      why: 'a dry-run ALLOW that does not match does not deny',
      ask: { to: 'echo.app:80', method: 'PUT' },
      want: { outcome: 'forwarded' },
    },
  ],
  'authz-gatewayclass-root': [
    {
      why: 'the root-namespace GatewayClass DENY applies; a caller from another namespace is denied',
      ask: { to: 'echo.app:80', principal: sa('other', 'client') },
      want: { outcome: 'denied', status: 403, policy: 'ns[istio-system]-policy[mesh-deny]-rule[0]' },
    },
    {
      why: 'callers from app pass',
      ask: { to: 'echo.app:80', principal: sa('app', 'client') },
      want: { outcome: 'forwarded' },
    },
  ],
  'authz-selector-ignored': [
    {
      why: 'a selector policy is for ztunnel; the waypoint enforces nothing of it',
      ask: { to: 'echo.app:80', method: 'DELETE' },
      want: { outcome: 'forwarded' },
    },
  ],
  'authz-source-identity': [
    {
      why: 'rule 0: service account billing of the policy namespace in trust domain partner.example',
      ask: { to: 'echo.app:80', principal: 'spiffe://partner.example/ns/app/sa/billing', path: '/x' },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[partners]-rule[0]' },
    },
    {
      why: 'the same account in the local trust domain is not a partner',
      ask: { to: 'echo.app:80', principal: sa('app', 'billing'), path: '/x' },
      want: { outcome: 'denied', status: 403 },
    },
    {
      why: 'rule 1: {*} is one segment and {**} the rest of the path',
      ask: { to: 'echo.app:80', principal: sa('app', 'web'), path: '/api/v1/items/a/b' },
      want: { outcome: 'forwarded', policy: 'ns[app]-policy[partners]-rule[1]' },
    },
    {
      why: '{*} does not span two segments, and the rule with the bad port is dropped',
      ask: { to: 'echo.app:80', principal: sa('app', 'web'), path: '/api/v1/v2/items/a' },
      want: { outcome: 'denied', status: 403 },
    },
  ],
  'authz-target-problems': [
    {
      why: 'none of the DENY policies reaches the echo Service (missing, opted-out and non-waypoint targets)',
      ask: { to: 'echo.app:80' },
      want: { outcome: 'forwarded', waypoint: 'app/waypoint' },
    },
    {
      why: 'the unbound Service opts out with istio.io/use-waypoint=none',
      ask: { to: 'unbound.app:80' },
      want: { outcome: 'no-waypoint' },
    },
  ],
  'authz-tcp-fail-closed': [
    {
      why: 'on TCP the rule with methods is dropped; rule 1 (namespace app, port 5432) allows',
      ask: { to: 'db.app:5432', principal: sa('app', 'api'), tcp: true },
      want: { outcome: 'tcp-forwarded', policy: 'ns[app]-policy[allow-get]-rule[1]' },
    },
    {
      why: 'a caller from another namespace matches no ALLOW rule',
      ask: { to: 'db.app:5432', principal: sa('other', 'api'), tcp: true },
      want: { outcome: 'tcp-closed' },
    },
    {
      why: 'the DENY rule loses its path on TCP and denies batch outright',
      ask: { to: 'db.app:5432', principal: sa('app', 'batch'), tcp: true },
      want: { outcome: 'tcp-closed', policy: 'ns[app]-policy[deny-path]-rule[0]' },
    },
  ],
  'authz-when-conditions': [
    {
      why: 'request.auth.claims needs a token verified by jwt_authn; with no RequestAuthentication there is none, so nothing is allowed',
      ask: {
        to: 'echo.app:80',
        from: '10.2.3.4',
        headers: [['x-token', 'abcdef']],
        jwtClaims: { iss: 'any', groups: ['admins'] },
      },
      want: { outcome: 'denied', status: 403 },
    },
  ],
  'invalid-authz-allow-nothing': [
    {
      why: 'the only rule has a bad ipBlock and is dropped: the ALLOW policy allows nothing',
      ask: { to: 'echo.app:80', from: '203.0.113.5' },
      want: { outcome: 'denied', status: 403 },
    },
  ],
  'invalid-authz-fail-closed': [
    {
      why: 'deny-bad-ip loses its bad source and denies every request, even the allowed reader',
      ask: { to: 'echo.app:80', principal: sa('app', 'reader'), method: 'POST' },
      want: { outcome: 'denied', status: 403, policy: 'ns[app]-policy[deny-bad-ip]-rule[0]' },
    },
    {
      why: 'deny-bad-port loses its port and denies every GET',
      ask: { to: 'echo.app:80', principal: sa('app', 'reader') },
      want: { outcome: 'denied', status: 403, policy: 'ns[app]-policy[deny-bad-port]-rule[0]' },
    },
  ],
};
