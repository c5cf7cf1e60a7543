import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Json } from '../envoy';
import { checkedValue, cidrContains, parseCidr, parseIp } from '../model/values';
import { PageError, type DebugViews } from './views';
import type { ClientLog } from '../xds/log-limit';
import { pageRoutes } from './page-routes';

export interface Route {
  path: string;
  summary: string;
  /** Methods served (default GET only). */
  methods?: readonly string[];
  handle(url: URL, res: ServerResponse, method: string): void | Promise<void>;
}

export function json(res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2) + '\n');
}

/** The endpoints, in the order /debug lists them. */
function routes(v: DebugViews): Route[] {
  return [
    {
      path: '/ready',
      summary: '200 once the initial sync is done',
      handle: (_u, res) => {
        res.writeHead(v.ready() ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(v.ready() ? 'ready\n' : 'not ready\n');
      },
    },
    {
      path: '/healthz',
      summary: 'liveness: 200 while the process answers, whatever the sync state',
      handle: (_u, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok\n');
      },
    },
    {
      path: '/metrics',
      summary: 'Prometheus metrics',
      handle: async (_u, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(await v.metrics());
      },
    },
    {
      path: '/debug/syncz',
      summary: 'sync status of connected proxies, ?limit=&offset= (x-total-count, x-next-offset headers)',
      handle: (u, res) => {
        const page = v.syncz(u.searchParams);
        res.setHeader('x-total-count', String(page.total));
        if (page.next !== undefined) res.setHeader('x-next-offset', String(page.next));
        json(res, 200, page.body);
      },
    },
    {
      path: '/debug/adsz',
      summary: 'connected streams and their subscriptions, ?limit=&offset=&proxyID=',
      handle: (u, res) => json(res, 200, v.adsz(u.searchParams)),
    },
    {
      path: '/debug/config_dump',
      summary: 'configuration served to ?proxyID=<pod>.<ns>',
      handle: (u, res) => {
        const id = u.searchParams.get('proxyID');
        if (!id)
          return json(res, 400, { error: 'proxyID query parameter is required, e.g. ?proxyID=waypoint-abc.default' });
        const dump = v.configDump(id);
        return dump === undefined ? json(res, 404, { error: `proxy ${id} is not connected` }) : json(res, 200, dump);
      },
    },
    {
      path: '/debug/ambientz',
      summary: 'every service and workload binding with its reason',
      handle: (_u, res) => json(res, 200, v.ambientz()),
    },
    {
      path: '/debug/logging',
      summary: 'log level per scope; PUT ?level=debug[&scope=xds] changes it at run time',
      methods: ['GET', 'PUT'],
      handle: (u, res, method) => {
        if (method === 'PUT') {
          const level = u.searchParams.get('level');
          if (!level) throw new PageError('level query parameter is required, e.g. ?level=debug&scope=xds');
          try {
            v.setLogLevel?.(level, u.searchParams.get('scope') ?? undefined);
          } catch (e) {
            throw new PageError(e instanceof Error ? e.message : String(e));
          }
        }
        json(res, 200, v.logLevels?.() ?? {});
      },
    },
    {
      path: '/debug/rejectz',
      summary: 'resources held back because Envoy would reject them, with why and where from',
      handle: (_u, res) => json(res, 200, v.rejectz?.() ?? []),
    },
    ...pageRoutes(v),
  ];
}

const LOOPBACK_V4 = checkedValue(parseCidr, '127.0.0.0/8');

/** Whether a socket's remote address is this machine's loopback (IPv4, IPv6 or IPv4-mapped). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  // Node writes an IPv4 peer of a dual-stack socket as `::ffff:a.b.c.d`.
  const ip = parseIp(address.startsWith('::ffff:') ? address.slice(7) : address);
  return ip.ok && (ip.value.text === '::1' || cidrContains(LOOPBACK_V4, ip.value));
}

/**
 * Whether a caller may read /debug: everything under it shows configuration
 * across namespaces, so by default only callers on this machine may; /ready
 * and /metrics are for probes and scrapers and are served to anyone who can
 * reach the port.
 */
export function mayReadDebug(path: string, remote: string | undefined, exposeDebug: boolean): boolean {
  return exposeDebug || !(path === '/debug' || path.startsWith('/debug/')) || isLoopback(remote);
}

export interface DebugServer {
  port: number;
  close(): Promise<void>;
}

/** Serves the debug endpoints on `host:port` (port 0 picks one). */
export async function startDebugServer(
  views: DebugViews,
  opts: {
    host: string;
    port: number;
    log: Logger;
    exposeDebug?: boolean;
    /** Where refusals are logged, rate-limited per caller (default: opts.log, unlimited). */
    clientLog?: ClientLog;
  },
): Promise<DebugServer> {
  const table = routes(views);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://debug');
    const method = req.method ?? 'GET';
    if (!mayReadDebug(url.pathname, req.socket.remoteAddress, opts.exposeDebug ?? false)) {
      const fields = { path: url.pathname.slice(0, 200), peer: req.socket.remoteAddress };
      const msg = 'debug request from another machine refused';
      if (opts.clientLog) opts.clientLog.warn(req.socket.remoteAddress ?? '', fields, msg);
      else opts.log.warn(fields, msg);
      return json(res, 403, {
        error: `${url.pathname} is served to localhost only; start serve with --expose-debug to serve it to other addresses`,
      });
    }
    if (url.pathname === '/debug' || url.pathname === '/debug/') {
      return json(
        res,
        200,
        table.map((r) => ({ path: r.path, summary: r.summary })),
      );
    }
    const route = table.find((r) => r.path === url.pathname);
    if (!route) return json(res, 404, { error: `no debug endpoint ${url.pathname}; see /debug` });
    const methods = route.methods ?? ['GET'];
    if (!methods.includes(method)) {
      res.setHeader('allow', methods.join(', '));
      return json(res, 405, { error: `${url.pathname} serves ${methods.join(' and ')} only` });
    }
    Promise.resolve()
      .then(() => route.handle(url, res, method))
      .catch((e: unknown) => {
        if (e instanceof PageError) return json(res, 400, { error: e.message });
        opts.log.error({ path: url.pathname, error: String(e) }, 'debug endpoint failed');
        if (!res.headersSent) json(res, 500, { error: String(e) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
