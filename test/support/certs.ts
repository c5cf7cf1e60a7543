// A throwaway CA and the certificates signed by it, made with the openssl
// command line so that what the server verifies is an ordinary X.509 chain.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM file). */
  caFile: string;
  /**
   * Issues a leaf certificate with the given subjectAltName entries (`DNS:…`, `IP:…`, `URI:…`).
   * With `sharedKey` (a file name in `dir`, made on first use) several leaves share one key:
   * a benchmark of many identities then measures handshakes, not key generation.
   */
  issue(name: string, sans: string[], sharedKey?: string): CertFiles;
  read(path: string): Buffer;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL!, args, { cwd, stdio: 'ignore' });
}

/** Needs OPENSSL; tests skip when it is undefined. Files go to `dir`, or a new temporary folder. */
export function makeCa(dir = mkdtempSync(join(tmpdir(), 'istiod-lite-ca-'))): TestCa {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=istiod-lite test CA', '-keyout', 'ca.key', '-out', 'ca.pem'],
    dir,
  );
  let serial = 1;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    issue(name, sans, sharedKey) {
      if (sharedKey && !existsSync(join(dir, sharedKey)))
        openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', sharedKey], dir);
      const key = sharedKey ?? `${name}.key`;
      if (sharedKey) openssl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', `${name}.csr`], dir);
      else openssl(['req', ...ec, '-subj', `/CN=${name}`, '-keyout', key, '-out', `${name}.csr`], dir);
      // A leaf good for either end of a connection, as mesh workload certificates are.
      writeFileSync(
        join(dir, `${name}.ext`),
        [
          `subjectAltName=critical,${sans.join(',')}`,
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          '',
        ].join('\n'),
      );
      openssl(
        [
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
          '1',
          '-extfile',
          `${name}.ext`,
          '-out',
          `${name}.pem`,
        ],
        dir,
      );
      return { cert: join(dir, `${name}.pem`), key: join(dir, key) };
    },
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
