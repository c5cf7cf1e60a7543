// The validating webhook's own HTTPS port (istiod serves it on 15017), with
// the serving certificate re-read from its files so a rotated one is used
// without a restart.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BadReview, review } from './review';

export const WEBHOOK_PATH = '/validate';
// The API server caps a request at 3 MiB; an AdmissionReview carries the object twice on update.
const MAX_BODY = 8 << 20;

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

function reply(res: ServerResponse, code: number, body: unknown, close = false): void {
  // After a body we stopped reading, the connection cannot carry another request.
  res.writeHead(code, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Handles one HTTP request to the webhook port. */
export async function handleWebhook(req: IncomingMessage, res: ServerResponse, log?: Logger): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://webhook').pathname;
  if (path !== WEBHOOK_PATH) return reply(res, 404, { error: `no such path ${path}; use ${WEBHOOK_PATH}` });
  if (req.method !== 'POST') return reply(res, 405, { error: 'only POST is served' });
  const type = String(req.headers['content-type'] ?? '').split(';')[0];
  if (type !== 'application/json')
    return reply(res, 415, { error: `content-type ${type || '(none)'}: expected application/json` });
  const text = await readBody(req);
  if (text === undefined) return reply(res, 413, { error: `body larger than ${MAX_BODY} bytes` }, true);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return reply(res, 400, { error: 'body is not JSON' });
  }
  try {
    const out = review(body);
    if (!out.response.allowed)
      log?.info({ uid: out.response.uid, message: out.response.status?.message }, 'admission denied');
    reply(res, 200, out);
  } catch (e) {
    if (e instanceof BadReview) return reply(res, 400, { error: e.message });
    throw e;
  }
}

export async function startWebhookServer(opts: {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  log: Logger;
  refreshMs?: number;
  /** The certificate and key, when our own CA issues them (the file names are then only labels). */
  source?: () => { cert: string; key: string };
}): Promise<WebhookServer> {
  const fromSource = opts.source;
  const load = fromSource
    ? () => {
        const s = fromSource();
        return { cert: Buffer.from(s.cert), key: Buffer.from(s.key) };
      }
    : () => ({ cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile) });
  let current = load();
  const server: Server = createServer(current, (req, res) => {
    handleWebhook(req, res, opts.log).catch((e: unknown) => {
      opts.log.error({ error: e instanceof Error ? e.message : String(e) }, 'webhook request failed');
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  const timer = setInterval(() => {
    try {
      const next = load();
      if (next.cert.equals(current.cert) && next.key.equals(current.key)) return;
      server.setSecureContext(next);
      current = next;
      opts.log.info({ cert: opts.certFile }, 'webhook certificate reloaded');
    } catch (e) {
      opts.log.warn(
        { error: e instanceof Error ? e.message : String(e) },
        'webhook certificate unreadable; keeping the current one',
      );
    }
  }, opts.refreshMs ?? 60_000);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      clearInterval(timer);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
