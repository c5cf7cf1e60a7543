import { Counter, Gauge, Registry } from 'prom-client';
import type { CaError } from './authority';

/** istiod's CA error types, the `error` label of citadel_server_csr_sign_err_count (security/pkg/pki/error/error.go: ErrorType). */
export const ERROR_TYPE: Record<CaError['kind'], string> = {
  'not-ready': 'CA_NOT_READY',
  csr: 'CSR_ERROR',
  ttl: 'TTL_ERROR',
  generate: 'CERT_GEN_ERROR',
};

/** The CA's metrics under istiod's names (security/pkg/server/ca/monitoring.go). */
export class CaMetrics {
  readonly registry = new Registry();

  readonly csr = new Counter({
    name: 'citadel_server_csr_count',
    help: 'Certificate signing requests received.',
    registers: [this.registry],
  });

  readonly authnErrors = new Counter({
    name: 'citadel_server_authentication_failure_count',
    help: 'Certificate requests refused because the caller (or its impersonation) did not authenticate.',
    registers: [this.registry],
  });

  readonly signErrors = new Counter({
    name: 'citadel_server_csr_sign_err_count',
    help: 'Certificate requests that could not be signed, by error type.',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });

  readonly success = new Counter({
    name: 'citadel_server_success_cert_issuance_count',
    help: 'Certificates issued.',
    registers: [this.registry],
  });

  readonly rootExpiry = new Gauge({
    name: 'citadel_server_root_cert_expiry_timestamp',
    help: 'When the first root certificate expires, in Unix seconds.',
    registers: [this.registry],
  });

  readonly chainExpiry = new Gauge({
    name: 'citadel_server_cert_chain_expiry_timestamp',
    help: 'When the signing certificate expires, in Unix seconds.',
    registers: [this.registry],
  });
}
