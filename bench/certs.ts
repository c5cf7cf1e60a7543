// Certificates for the benchmark's TLS port, made with the openssl command
// line: a throwaway CA, the server's certificate, and one client certificate
// per waypoint identity (spiffe://cluster.local/ns/NS/sa/waypoint), as each
// waypoint's Deployment would present. The server verifies them with
// --tls-ca-file, its client-certificate authentication.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

export interface BenchPki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** PEM certificate and key of namespace `ns`'s waypoint identity (issued on first use). */
  client(ns: string, sa: string): { cert: string; key: string };
  remove(): void;
}

export function makePki(): BenchPki {
  if (!OPENSSL) throw new Error('the TLS benchmarks need the openssl command');
  const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-bench-pki-'));
  const run = (args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=bench CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  // One key for every client certificate: what is measured is the handshake, not key generation.
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'client.key']);
  let serial = 1;
  const issue = (name: string, key: string | undefined, san: string) => {
    if (key) run(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    else run(['req', ...ec, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    writeFileSync(
      join(dir, `${name}.ext`),
      `subjectAltName=critical,${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    run([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(serial++),
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
    return { cert: join(dir, `${name}.pem`), key: join(dir, key ?? `${name}.key`) };
  };
  const server = issue('server', undefined, 'DNS:localhost,IP:127.0.0.1');
  const clients = new Map<string, { cert: string; key: string }>();
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverCert: server.cert,
    serverKey: server.key,
    client(ns, sa) {
      const id = `${ns}.${sa}`;
      let c = clients.get(id);
      if (!c)
        clients.set(id, (c = issue(`client-${id}`, 'client.key', `URI:spiffe://cluster.local/ns/${ns}/sa/${sa}`)));
      return c;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
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
