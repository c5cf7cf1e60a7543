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
    close: () => server.close(),
  };
}

/** `until` for a yes/no condition on in-process server state, polled often since it is cheap to ask. */
export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  await until(cond, what, timeoutMs, 10);
}
