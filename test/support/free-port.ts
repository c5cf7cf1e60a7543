// A port for a server whose port must be written into the configuration
// before it binds (a proxyless gRPC server binds only once its listener
// arrives over xDS). A port the kernel hands out for `listen(0)` is an
// ephemeral one, and closing it to pass the number on lets any other test's
// `listen(0)` or outgoing connection take it meanwhile; grpc-js-xds then
// never reports the server as serving and the test hangs. Ports below the
// ephemeral range are never handed out that way, so one checked free there
// stays free.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FALLBACK_LOW = 32768;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && Number.isFinite(low) ? low : FALLBACK_LOW;
  } catch {
    return FALLBACK_LOW;
  }
}

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1 below the ephemeral range (from 10000 up), picked at random. */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = Math.max(low + 1000, ephemeralLow());
  for (let i = 0; i < 200; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port between ${low} and ${high} after 200 tries`);
}
