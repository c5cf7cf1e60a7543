// A certificate-service client as a workload agent is one: a CSR made with
// the openssl command line, sent over a real TLS gRPC connection, and the
// returned chain checked with `openssl verify` and `openssl x509`.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { withBearer } from '../../src/cli/xds-query';
import { caDefinition, decodeCertificateResponse, encodeCertificateRequest } from '../../src/ca/service';
import { OPENSSL } from './certs';

/** A P-256 key and a CSR for it that asks for `sans` (which the CA must ignore). Returns file paths. */
export function makeCsr(dir: string, name: string, sans: string[] = []): { key: string; csr: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const args = ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/O=test'];
  if (sans.length) args.push('-addext', `subjectAltName=${sans.join(',')}`);
  execFileSync(OPENSSL!, [...args, '-keyout', key, '-out', csr], { stdio: 'ignore' });
  return { key, csr };
}

export interface CaCallOptions {
  port: number;
  rootPem: string | Buffer;
  token?: string;
  /** A client certificate and key (PEM) to present instead of, or with, a token. */
  clientCert?: { cert: Buffer; key: Buffer };
  /** The name the serving certificate must carry. */
  serverName?: string;
}

export class CaClient {
  private readonly client: grpc.Client;

  constructor(o: CaCallOptions) {
    const root = Buffer.from(o.rootPem);
    const tls = grpc.credentials.createSsl(root, o.clientCert?.key ?? null, o.clientCert?.cert ?? null);
    const creds = o.token ? withBearer(tls, o.token) : tls;
    this.client = new grpc.Client(`127.0.0.1:${o.port}`, creds, {
      'grpc.ssl_target_name_override': o.serverName ?? 'istiod-lite.istio-system.svc',
      'grpc.default_authority': o.serverName ?? 'istiod-lite.istio-system.svc',
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  create(csrPem: string, opts: { ttlSec?: number; metadata?: Record<string, string> } = {}): Promise<string[]> {
    const m = caDefinition.CreateCertificate;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        encodeCertificateRequest({ csr: csrPem, validityDurationSec: opts.ttlSec, metadata: opts.metadata }),
        new grpc.Metadata(),
        { deadline: Date.now() + 15_000 },
        (err, res) => (err ? reject(err) : resolve(decodeCertificateResponse(res!))),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** `openssl verify` of a leaf (with its intermediates) against a root bundle; returns openssl's output and status. */
export function opensslVerify(dir: string, chain: string[], rootPem: string): { ok: boolean; out: string } {
  const root = join(dir, 'verify-root.pem');
  const leaf = join(dir, 'verify-leaf.pem');
  const untrusted = join(dir, 'verify-untrusted.pem');
  writeFileSync(root, rootPem);
  writeFileSync(leaf, chain[0]!);
  // Everything between the leaf and the root entry is an intermediate.
  writeFileSync(untrusted, chain.slice(1, -1).join(''));
  const args = ['verify', '-CAfile', root];
  if (chain.length > 2) args.push('-untrusted', untrusted);
  const r = spawnSync(OPENSSL!, [...args, leaf], { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** A field of a PEM certificate as `openssl x509 -noout -<what>` prints it. */
export function opensslX509(dir: string, pem: string, what: string[]): string {
  const f = join(dir, 'inspect.pem');
  writeFileSync(f, pem);
  return execFileSync(OPENSSL!, ['x509', '-noout', ...what, '-in', f], { encoding: 'utf8' });
}

export const readText = (p: string): string => readFileSync(p, 'utf8');
