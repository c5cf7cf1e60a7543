// What one idle TLS connection costs a server, layer by layer: a TLS socket
// alone, an HTTP/2 session over it (one open stream), and a grpc-js bidi
// stream that received and sent one message. The server is this process,
// run under the shipped malloc settings; the clients are a forked process of
// their own. Each layer is the slope of RSS, V8 heap and malloc'd memory
// between two connection counts in one fresh process, after gc() and a settle,
// and the server's CPU time per connection set up (handshake to first message).
//
//   node --expose-gc dist/bench/conn-cost.js [tls|tls-resume|h2|grpc] [low] [high]
//
// What the xDS server adds on top is the fleet benchmark's W4 row minus the
// grpc row here.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { makePki } from './certs';
import { reexecWithShippedMalloc } from './malloc-env';

// tls-resume: TLS alone, every client resuming one session (TLS 1.3 ticket)
// it got first, as an Envoy dialling with its default max_session_keys would.
type Layer = 'tls' | 'tls-resume' | 'h2' | 'grpc';
interface Pem {
  ca: string;
  cert: string;
  key: string;
  serverCert: string;
  serverKey: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (b: Buffer) => b;
const RAW = {
  Stream: {
    path: '/bench.Raw/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
};

/** Server side: returns the port and a counter of connections that finished their first exchange. */
let resumed = 0;

async function serve(layer: Layer, pem: Pem): Promise<{ port: number; ready: () => number; keep: unknown[] }> {
  let ready = 0;
  const keep: unknown[] = [];
  const opts = {
    key: pem.serverKey,
    cert: pem.serverCert,
    ca: pem.ca,
    requestCert: true,
    rejectUnauthorized: false,
  };
  if (layer === 'tls' || layer === 'tls-resume') {
    const s = tls.createServer(opts, (sock) => {
      keep.push(sock);
      sock.once('data', () => {
        sock.write('k');
        if (sock.isSessionReused()) resumed++;
        ready++;
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { port: (s.address() as { port: number }).port, ready: () => ready, keep };
  }
  if (layer === 'h2') {
    // grpc-js's server settings: no session memory limit.
    const s = http2.createSecureServer({ ...opts, maxSessionMemory: Number.MAX_SAFE_INTEGER });
    s.on('stream', (st) => {
      keep.push(st);
      st.respond({ ':status': 200 });
      st.once('data', () => {
        st.write('k');
        ready++;
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { port: (s.address() as { port: number }).port, ready: () => ready, keep };
  }
  const server = new grpc.Server();
  server.addService(RAW, {
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      keep.push(call);
      call.once('data', () => {
        call.write(Buffer.from('k'));
        ready++;
      });
    },
  });
  const creds = grpc.ServerCredentials.createSsl(
    Buffer.from(pem.ca),
    [{ cert_chain: Buffer.from(pem.serverCert), private_key: Buffer.from(pem.serverKey) }],
    false,
  );
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))),
  );
  return { port, ready: () => ready, keep };
}

/** Client side (the forked process): opens `count` more connections on each 'open' message. */
function clientMain(): void {
  const held: unknown[] = [];
  process.on('message', (m: { layer: Layer; port: number; count: number; pem: Pem } | 'exit') => {
    if (m === 'exit') process.exit(0);
    const { layer, port, count, pem } = m;
    const base = { ca: pem.ca, cert: pem.cert, key: pem.key, servername: 'localhost' };
    if (layer === 'tls-resume') {
      // One connection first, for a ticket; the rest resume it.
      // (A TLS 1.3 server sends its ticket after the handshake, once it next writes.)
      const first = tls.connect({ ...base, port, host: '127.0.0.1' }, () => first.write('x'));
      held.push(first);
      first.once('session', (session: Buffer) => {
        for (let i = 1; i < count; i++) {
          const s = tls.connect({ ...base, port, host: '127.0.0.1', session }, () => s.write('x'));
          held.push(s);
        }
      });
      return;
    }
    for (let i = 0; i < count; i++) {
      if (layer === 'tls') {
        const s = tls.connect({ ...base, port, host: '127.0.0.1' }, () => s.write('x'));
        held.push(s);
      } else if (layer === 'h2') {
        const session = http2.connect(`https://localhost:${port}`, {
          createConnection: () => tls.connect({ ...base, port, host: '127.0.0.1', ALPNProtocols: ['h2'] }),
        });
        const st = session.request({ ':method': 'POST', ':path': '/x' }, { endStream: false });
        st.write('x');
        st.on('data', () => undefined);
        held.push(session, st);
      } else {
        const c = new grpc.Client(
          `127.0.0.1:${port}`,
          grpc.credentials.createSsl(Buffer.from(pem.ca), Buffer.from(pem.key), Buffer.from(pem.cert)),
          { 'grpc.use_local_subchannel_pool': 1, 'grpc.ssl_target_name_override': 'localhost' },
        );
        const call = c.makeBidiStreamRequest('/bench.Raw/Stream', id, id);
        call.on('data', () => undefined);
        call.on('error', () => undefined);
        call.write(Buffer.from('x'));
        held.push(c, call);
      }
    }
  });
}

function reading() {
  for (let i = 0; i < 4; i++) (global as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mib = (n: number) => n / 1048576;
  return { rss: mib(m.rss), heap: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) };
}

async function main(): Promise<void> {
  const layer = (process.argv[2] ?? 'grpc') as Layer;
  const low = Number(process.argv[3] ?? 200);
  const high = Number(process.argv[4] ?? 1000);
  const pki = makePki();
  const c = pki.client('ns-0', 'waypoint');
  const pem: Pem = {
    ca: readFileSync(pki.caFile, 'utf8'),
    cert: readFileSync(c.cert, 'utf8'),
    key: readFileSync(c.key, 'utf8'),
    serverCert: readFileSync(pki.serverCert, 'utf8'),
    serverKey: readFileSync(pki.serverKey, 'utf8'),
  };
  pki.remove();
  const srv = await serve(layer, pem);
  const child = fork(__filename, ['--client'], { stdio: 'inherit' });
  const at: Record<number, ReturnType<typeof reading>> = {};
  let open = 0;
  let cpuMs = 0;
  for (const n of [low, high]) {
    const cpu0 = process.cpuUsage();
    child.send({ layer, port: srv.port, count: n - open, pem });
    open = n;
    while (srv.ready() < n) await sleep(50);
    const cpu = process.cpuUsage(cpu0);
    cpuMs = (cpu.user + cpu.system) / 1000;
    await sleep(3000);
    at[n] = reading();
  }
  child.send('exit');
  const per = (k: keyof ReturnType<typeof reading>) =>
    (((at[high]![k] - at[low]![k]) * 1024) / (high - low)).toFixed(1);
  process.stdout.write(
    `${JSON.stringify({ layer, low, high, serverCpuMsPerConnect: (cpuMs / (high - low)).toFixed(2), resumed, kibPerConnection: { rss: per('rss'), heap: per('heap'), external: per('external'), arrayBuffers: per('arrayBuffers') }, at })}\n`,
  );
  process.exit(0);
}

if (process.argv.includes('--client')) clientMain();
else {
  reexecWithShippedMalloc();
  void main();
}
