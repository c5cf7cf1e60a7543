import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { messageType } from '../envoy';
import { authenticate, AuthError, spiffeUri, type Authenticator, type Identity } from '../xds/auth';
import { CaError, type CertificateAuthority } from './authority';
import { ERROR_TYPE, type CaMetrics } from './metrics';
import type { NodeAuthorizer } from './node-authorizer';

export const CA_SERVICE = 'istio.v1.auth.IstioCertificateService';
const REQUEST = 'istio.v1.auth.IstioCertificateRequest';
const RESPONSE = 'istio.v1.auth.IstioCertificateResponse';

/** Request metadata keys istiod reads (pkg/security/security.go: ImpersonatedIdentity, CertSigner). */
export const IMPERSONATED_IDENTITY = 'ImpersonatedIdentity';
const CERT_SIGNER = 'CertSigner';

/** Largest CSR accepted; a P-256 or RSA 4096 request is a few kilobytes. */
const MAX_CSR_BYTES = 64 << 10;

export interface CertificateRequest {
  csr: string;
  validityDurationSec: number;
  metadata: Record<string, string>;
}

/**
 * Reads an IstioCertificateRequest; Struct metadata keeps only its string values, the only kind read.
 * (protobufjs defines the well-known Value with camelCase field names, whatever keepCase says.)
 */
export function decodeCertificateRequest(bytes: Buffer): CertificateRequest {
  const type = messageType(REQUEST);
  const o = type.toObject(type.decode(bytes), { longs: String, defaults: true }) as {
    csr: string;
    validity_duration: string;
    metadata?: { fields?: Record<string, { stringValue?: string }> };
  };
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.metadata?.fields ?? {})) {
    if (typeof v.stringValue === 'string') metadata[k] = v.stringValue;
  }
  return { csr: o.csr, validityDurationSec: Number(o.validity_duration), metadata };
}

export function encodeCertificateRequest(r: {
  csr: string;
  validityDurationSec?: number;
  metadata?: Record<string, string>;
}): Buffer {
  const type = messageType(REQUEST);
  const fields = Object.fromEntries(Object.entries(r.metadata ?? {}).map(([k, v]) => [k, { stringValue: v }]));
  return Buffer.from(
    type
      .encode(type.fromObject({ csr: r.csr, validity_duration: r.validityDurationSec ?? 0, metadata: { fields } }))
      .finish(),
  );
}

export function decodeCertificateResponse(bytes: Buffer): string[] {
  const type = messageType(RESPONSE);
  return (type.toObject(type.decode(bytes)) as { cert_chain?: string[] }).cert_chain ?? [];
}

function encodeResponse(chain: string[]): Buffer {
  const type = messageType(RESPONSE);
  return Buffer.from(type.encode(type.fromObject({ cert_chain: chain })).finish());
}

const identity = (b: Buffer): Buffer => b;

export const caDefinition = {
  CreateCertificate: {
    path: `/${CA_SERVICE}/CreateCertificate`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies grpc.ServiceDefinition;

export interface CaServiceOptions {
  authority: CertificateAuthority;
  authenticators: readonly Authenticator[];
  /** Who may ask on behalf of pods on its node; without it impersonation is refused (server.go: New). */
  nodeAuthorizer?: NodeAuthorizer;
  log: Logger;
  metrics?: CaMetrics;
  authTimeoutMs?: number;
}

const CODES: Record<CaError['kind'], grpc.status> = {
  csr: grpc.status.INVALID_ARGUMENT,
  ttl: grpc.status.INVALID_ARGUMENT,
  'not-ready': grpc.status.INTERNAL,
  generate: grpc.status.INTERNAL,
};

type Call = grpc.ServerUnaryCall<Buffer, Buffer>;
type Err = Partial<grpc.StatusObject>;

/**
 * CreateCertificate as istiod serves it (security/pkg/server/ca/server.go:
 * CreateCertificate): the caller proves an identity, which alone becomes the
 * certificate's SAN; an impersonated identity replaces it only when the node
 * authorizer allows. A caller that is not who it claims gets istiod's opaque
 * UNAUTHENTICATED; one that proved who it is but asks for what it may not have
 * gets PERMISSION_DENIED with the reason (deliberate difference: istiod answers
 * UNAUTHENTICATED there too). Every refusal is logged in full.
 */
export class CaService {
  private readonly log: Logger;

  constructor(private readonly opts: CaServiceOptions) {
    this.log = opts.log;
  }

  readonly implementation = {
    CreateCertificate: (call: Call, cb: grpc.sendUnaryData<Buffer>) => {
      this.create(call).then(
        (chain) => cb(null, encodeResponse(chain)),
        (e: Err) => cb(e),
      );
    },
  };

  private async identify(call: Call): Promise<Identity> {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AuthError(grpc.status.UNAVAILABLE, 'authentication did not complete in time; retry')),
        this.opts.authTimeoutMs ?? 10_000,
      );
    });
    try {
      return await Promise.race([
        authenticate(this.opts.authenticators, { metadata: call.metadata, peerCertificate: cert }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async create(call: Call): Promise<string[]> {
    const m = this.opts.metrics;
    m?.csr.inc();
    const peer = call.getPeer();
    let caller: Identity;
    try {
      caller = await this.identify(call);
    } catch (e) {
      const err = e instanceof AuthError ? e : new AuthError(grpc.status.INTERNAL, 'authentication failed');
      m?.authnErrors.inc();
      this.log.warn({ peer, error: err.message, detail: err.detail }, 'certificate request refused: authentication');
      // istiod answers every authentication failure alike.
      throw {
        code: err.code === grpc.status.UNAVAILABLE ? err.code : grpc.status.UNAUTHENTICATED,
        details: 'request authenticate failure',
      } satisfies Err;
    }
    let req: CertificateRequest;
    try {
      if (call.request.length > MAX_CSR_BYTES + 4096) throw new Error(`request is over ${MAX_CSR_BYTES} bytes`);
      req = decodeCertificateRequest(call.request);
    } catch (e) {
      throw {
        code: grpc.status.INVALID_ARGUMENT,
        details: `malformed IstioCertificateRequest: ${e instanceof Error ? e.message : String(e)}`,
      } satisfies Err;
    }
    let subject = spiffeUri(caller);
    const wanted = req.metadata[IMPERSONATED_IDENTITY];
    if (wanted) {
      const reason = this.opts.nodeAuthorizer
        ? this.opts.nodeAuthorizer.check(caller, wanted)
        : 'impersonation is not allowed: no trusted node accounts are configured';
      if (reason !== undefined) {
        m?.authnErrors.inc();
        this.log.warn(
          { peer, caller: subject, impersonated: wanted, reason },
          'certificate request refused: impersonation',
        );
        // The caller is authenticated, so the refusal is about permission; the
        // reason goes back too (only a trusted node account learns anything about pods).
        throw {
          code: grpc.status.PERMISSION_DENIED,
          details: `request impersonation denied: ${reason}`,
        } satisfies Err;
      }
      this.log.debug({ peer, caller: subject, impersonated: wanted }, 'node proxy impersonates a workload on its node');
      subject = wanted;
    }
    if (req.metadata[CERT_SIGNER]) {
      // istiod picks a signer per CertSigner only with an external signer (Kubernetes CSR API).
      throw { code: grpc.status.INVALID_ARGUMENT, details: 'CertSigner is not supported by this CA' } satisfies Err;
    }
    const ttlMs = req.validityDurationSec * 1000;
    try {
      const chain = await this.opts.authority.sign(req.csr, { uris: [subject] }, ttlMs);
      m?.success.inc();
      this.log.debug({ peer, identity: subject, via: caller.via }, 'certificate issued');
      return chain;
    } catch (e) {
      const err = e instanceof CaError ? e : new CaError('generate', e instanceof Error ? e.message : String(e));
      m?.signErrors.inc({ error: ERROR_TYPE[err.kind] });
      this.log.warn({ peer, identity: subject, error: err.message }, 'certificate request refused: signing');
      throw { code: CODES[err.kind], details: `CSR signing error (${err.message})` } satisfies Err;
    }
  }
}
