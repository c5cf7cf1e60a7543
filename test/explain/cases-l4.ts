// Requests against the GRPCRoute, TCPRoute, TLSRoute and port-protocol
// golden cases: the chain a connection lands on by its port's protocol, and
// where its routes send it (listener_waypoint.go: buildWaypointInternal,
// getWaypointTCPRoutes; conversion.go: convertGRPCRoute, convertTCPRoute).
import type { Check } from './support';
import { IV } from './cases-http';

const TCP = (svc: string, port: number) => `inbound-vip|${port}|tcp|${svc}.app.svc.cluster.local`;
const grpc = (path: string, headers: [string, string][] = []): Check['ask'] => ({
  to: 'grpc-echo.app:9090',
  method: 'POST',
  path,
  headers: [['content-type', 'application/grpc'], ...headers],
});

export const L4_CASES: Record<string, Check[]> = {
  'grpcroute-methods': [
    {
      why: 'the exact method echo.Echo/Hello',
      ask: grpc('/echo.Echo/Hello'),
      want: { outcome: 'forwarded', route: 'app.methods.0', clusters: [IV('grpc-other', 'app', 9090)] },
    },
    {
      why: 'any other method of service echo.Echo',
      ask: grpc('/echo.Echo/Other'),
      want: { outcome: 'forwarded', route: 'app.methods.1', clusters: [IV('grpc-echo', 'app', 9090)] },
    },
    {
      why: 'another service with header x-variant: b',
      ask: grpc('/other.Svc/Call', [['x-variant', 'b']]),
      want: { outcome: 'forwarded', route: 'app.methods.2', clusters: [IV('grpc-other', 'app', 9090)] },
    },
    {
      why: 'another service without the header matches no rule',
      ask: grpc('/other.Svc/Call'),
      want: { outcome: 'no-route', status: 404 },
    },
  ],
  'grpcroute-weight': [
    {
      why: '70/30 between grpc-v1 and grpc-v2',
      ask: { ...grpc('/echo.Echo/Hello'), to: 'grpc-echo.app:9090' },
      want: {
        outcome: 'forwarded',
        clusters: [IV('grpc-v1', 'app', 9090), IV('grpc-v2', 'app', 9090)],
        says: '(70%)',
      },
    },
  ],
  'tcproute-weighted': [
    {
      why: 'tcp_proxy splits 90/10 between db and db-v2',
      ask: { to: 'db.app:5432', tcp: true },
      want: { outcome: 'tcp-forwarded', chain: TCP('db', 5432), clusters: [TCP('db', 5432), TCP('db-v2', 5432)] },
    },
  ],
  'tlsroute-sni': [
    {
      why: 'the TLSRoute for the service host carries all the port’s TCP traffic to secure-v2, whatever the SNI',
      ask: { to: 'secure.app:443', tcp: true, sni: 'elsewhere.example' },
      want: { outcome: 'tcp-forwarded', chain: TCP('secure', 443), clusters: [TCP('secure-v2', 443)] },
    },
  ],
  'tls-before-tcp': [
    {
      why: 'the TLSRoute wins over the TCPRoute on the same port',
      ask: { to: 'secure.app:443', tcp: true },
      want: { outcome: 'tcp-forwarded', clusters: [TCP('secure-v2', 443)] },
    },
  ],
  'port-protocols': [
    {
      why: 'http- prefix: the HTTP chain',
      ask: { to: 'multi.app:80' },
      want: { outcome: 'forwarded', chain: IV('multi', 'app', 80) },
    },
    {
      why: 'tcp- prefix: the TCP chain',
      ask: { to: 'multi.app:5432', tcp: true },
      want: { outcome: 'tcp-forwarded', chain: TCP('multi', 5432) },
    },
    {
      why: 'an undeclared port is sniffed: HTTP lands on its HTTP chain',
      ask: { to: 'multi.app:7000' },
      want: { outcome: 'forwarded', chain: IV('multi', 'app', 7000) },
    },
    {
      why: 'an undeclared port is sniffed: other bytes land on its TCP chain',
      ask: { to: 'multi.app:7000', tcp: true },
      want: { outcome: 'tcp-forwarded', chain: TCP('multi', 7000) },
    },
    {
      why: 'port 3306 is server-first MySQL: never sniffed, HTTP is passed on as TCP',
      ask: { to: 'multi.app:3306' },
      want: { outcome: 'tcp-forwarded', chain: TCP('multi', 3306) },
    },
    {
      why: 'an unknown appProtocol overrides the http- name: sniffed, so HTTP gets the HTTP chain',
      ask: { to: 'multi.app:8080' },
      want: { outcome: 'forwarded', chain: IV('multi', 'app', 8080) },
    },
  ],
  'service-default-route': [
    {
      why: 'no route: the default route to the service’s own cluster',
      ask: { to: 'echo.app:80', path: '/anything' },
      want: { outcome: 'forwarded', route: 'default', clusters: [IV('echo')] },
    },
  ],
};
