// Certificates for the benchmark's TLS port: a throwaway CA (the tests' own
// helper), the server's certificate, and one client certificate per waypoint
// identity (spiffe://cluster.local/ns/NS/sa/waypoint), as each waypoint's
// Deployment would present. The server verifies them with --tls-ca-file, its
// client-certificate authentication.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, OPENSSL, type CertFiles } from '../test/support/certs';

export interface BenchPki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** PEM certificate and key of namespace `ns`'s waypoint identity (issued on first use). */
  client(ns: string, sa: string): CertFiles;
  remove(): void;
}

export function makePki(): BenchPki {
  if (!OPENSSL) throw new Error('the TLS benchmarks need the openssl command');
  const ca = makeCa(mkdtempSync(join(tmpdir(), 'istiod-lite-bench-pki-')));
  const server = ca.issue('server', ['DNS:localhost', 'IP:127.0.0.1']);
  const clients = new Map<string, CertFiles>();
  return {
    dir: ca.dir,
    caFile: ca.caFile,
    serverCert: server.cert,
    serverKey: server.key,
    client(ns, sa) {
      const id = `${ns}.${sa}`;
      let c = clients.get(id);
      // One key for every client certificate: what is measured is the handshake, not key generation.
      if (!c)
        clients.set(id, (c = ca.issue(`client-${id}`, [`URI:spiffe://cluster.local/ns/${ns}/sa/${sa}`], 'client.key')));
      return c;
    },
    remove: ca.remove,
  };
}

/** What a client process needs to dial the TLS port as one identity (PEM text). */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export function clientTls(pki: BenchPki, ns: string, sa: string): ClientTls {
  const c = pki.client(ns, sa);
  return { ca: readFileSync(pki.caFile, 'utf8'), cert: readFileSync(c.cert, 'utf8'), key: readFileSync(c.key, 'utf8') };
}
