// Workload certificates with SPIFFE URI SANs from a throwaway mesh CA
// (openssl, see certs.ts: node:crypto cannot issue X.509 certificates), and
// the bootstrap certificate provider a proxyless gRPC node reads them through.
import { makeCa, OPENSSL } from './certs';

export function opensslAvailable(): boolean {
  return OPENSSL !== undefined;
}

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
  const ca = makeCa(dir);
  return {
    caFile: ca.caFile,
    issue(ns, sa) {
      const spiffe = `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;
      const files = ca.issue(`${ns}.${sa}`, [`URI:${spiffe}`]);
      return { spiffe, certFile: files.cert, keyFile: files.key };
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
