// A throwaway mesh CA and workload certificates with SPIFFE URI SANs, made
// with the openssl CLI (node:crypto cannot issue X.509 certificates), and the
// bootstrap certificate provider a proxyless gRPC node reads them through.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface Identity {
  spiffe: string;
  certFile: string;
  keyFile: string;
}

export interface MeshCa {
  caFile: string;
  /** A leaf certificate for `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`, valid for both ends of a connection. */
  issue(ns: string, sa: string): Identity;
}

export function makeMeshCa(dir: string, trustDomain = 'cluster.local'): MeshCa {
  const caFile = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  openssl(['req', '-x509', ...EC, '-keyout', caKey, '-out', caFile, '-days', '1', '-subj', '/O=istiod-lite test mesh']);
  return {
    caFile,
    issue(ns, sa) {
      const base = join(dir, `${ns}.${sa}`);
      const spiffe = `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;
      writeFileSync(
        `${base}.ext`,
        [
          `subjectAltName=critical,URI:${spiffe}`,
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
        ].join('\n'),
      );
      openssl(['req', '-new', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', '/O=istiod-lite test']);
      openssl([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        `${base}.ext`,
        '-out',
        `${base}.crt`,
      ]);
      return { spiffe, certFile: `${base}.crt`, keyFile: `${base}.key` };
    },
  };
}

/** Bootstrap `certificate_providers` as Istio's agent writes them: one `default` file watcher. */
export function certificateProviders(ca: MeshCa, id: Identity): Record<string, unknown> {
  return {
    certificate_providers: {
      default: {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: id.certFile,
          private_key_file: id.keyFile,
          ca_certificate_file: ca.caFile,
          refresh_interval: '600s',
        },
      },
    },
  };
}
