import pino from 'pino';
import { Writable } from 'node:stream';
import { SnapshotCache, XdsServer, type XdsServerOptions } from '../../src/xds';
import type { PreparedResource } from '../../src/envoy';
import { until } from './until';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A server on 127.0.0.1:0 with a fresh cache and captured logs. */
export async function startXds(opts: Partial<XdsServerOptions> = {}) {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  const cache = opts.cache ?? new SnapshotCache();
  const server = new XdsServer({
    debounce: { quietMs: 5, maxMs: 50 },
    logger: pino({ level: 'debug' }, sink),
    ...opts,
    cache,
  });
  const port = await server.listen('127.0.0.1:0');
  return {
    cache,
    server,
    address: `127.0.0.1:${port}`,
    logs: lines,
    /** Replaces the resources of the given types under `key`. */
    set(key: string, byType: Record<string, PreparedResource[]>) {
      cache.set(key, new Map(Object.entries(byType)));
    },
    /**
     * Resolves once the server has handled every request `c` sent, and fails
     * if it wrote `c` any response `c` has not received yet: the server saw
     * the requests and chose to send nothing. Needs no quiet period, because
     * the server writes a request's answers before it counts the request.
     */
    async quiet(c: QuietClient, what = 'the server to handle every request'): Promise<void> {
      const id = connectionOf(c);
      const conn = server.connections.get(id);
      if (!conn) throw new Error(`no connection ${id} for nonce ${c.lastNonce}`);
      await waitFor(() => conn.requestsHandled >= c.sent, 3000, what);
      if (c.unread > 0) throw new Error(`the client holds ${c.unread} unexpected response(s)`);
      if (conn.responsesWritten !== c.received) {
        throw new Error(`the server wrote ${conn.responsesWritten} responses; the client has ${c.received}`);
      }
    },
    close: () => server.close(),
  };
}

// Our nonces begin with the id of the connection that sent them.
const connectionOf = (c: QuietClient) => c.lastNonce.slice(0, c.lastNonce.lastIndexOf('-'));

interface AdszClient {
  connectionId: string;
  requestsHandled: number;
  responsesWritten: number;
}

/**
 * quiet() for a server in another process (`serve`), read from its
 * /debug/adsz, which shows each connection's counts: resolves once the server
 * has handled every request `c` sent, and fails if it wrote `c` more than `c`
 * received.
 */
export async function quietOverDebug(debugPort: number, c: QuietClient, what = 'the server to handle every request') {
  const id = connectionOf(c);
  const conn = await until(
    async () => {
      const res = await fetch(`http://127.0.0.1:${debugPort}/debug/adsz?limit=1000`);
      const { clients } = (await res.json()) as { clients: AdszClient[] };
      const mine = clients.find((x) => x.connectionId === id);
      if (!mine) throw new Error(`no connection ${id} in /debug/adsz`);
      return mine.requestsHandled >= c.sent && mine;
    },
    what,
    5000,
    20,
  );
  if (c.unread > 0) throw new Error(`the client holds ${c.unread} unexpected response(s)`);
  if (conn.responsesWritten !== c.received) {
    throw new Error(`the server wrote ${conn.responsesWritten} responses; the client has ${c.received}`);
  }
}

/** What quiet() reads of a test client. */
export interface QuietClient {
  readonly sent: number;
  readonly received: number;
  readonly lastNonce: string;
  readonly unread: number;
}

/** `until` for a yes/no condition on in-process server state, polled often since it is cheap to ask. */
export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  await until(cond, what, timeoutMs, 10);
}
