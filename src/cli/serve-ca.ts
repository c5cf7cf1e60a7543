// serve's certificate-authority flags; server/ca.ts starts the CA from them.
import { DEFAULT_CERT_TTL_MS, MAX_CERT_TTL_MS } from '../ca/ttl';
import { parseTrustedAccounts } from '../ca/node-authorizer';
import type { CaOptions } from '../server/options';
import { CommandError } from './errors';
import { oneOf, parseDuration } from './flags';

export const CA_FLAGS = {
  ca: { type: 'string', default: 'auto' },
  'cacerts-dir': { type: 'string' },
  'ca-trusted-node-accounts': { type: 'string' },
  'workload-cert-ttl': { type: 'string', default: `${DEFAULT_CERT_TTL_MS / 3600_000}h` },
  'max-workload-cert-ttl': { type: 'string', default: `${MAX_CERT_TTL_MS / 3600_000}h` },
  'serving-dns-names': { type: 'string' },
  'ca-reload': { type: 'string', default: '60s' },
  'waypoint-ca-address': { type: 'string' },
} as const;

type Values = { [K in keyof typeof CA_FLAGS]?: string };

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The CA's options, or undefined when it is off (`--ca auto` turns it on with the TLS files). */
export function caFlags(values: Values, tlsFiles: boolean): CaOptions | undefined {
  const mode = oneOf('ca', values.ca ?? 'auto', ['auto', 'on', 'off'] as const);
  const dir = values['cacerts-dir'];
  if (mode === 'off') {
    if (dir !== undefined) throw new CommandError('--cacerts-dir needs the CA: drop --ca off');
    return undefined;
  }
  if (mode === 'auto' && !tlsFiles && dir === undefined) return undefined;
  let trusted: Set<string> | undefined;
  if (values['ca-trusted-node-accounts'] !== undefined) {
    try {
      trusted = parseTrustedAccounts(values['ca-trusted-node-accounts']);
    } catch (e) {
      throw new CommandError(`--ca-trusted-node-accounts: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const defaultTtlMs = parseDuration('workload-cert-ttl', values['workload-cert-ttl'] ?? '24h');
  const maxTtlMs = parseDuration('max-workload-cert-ttl', values['max-workload-cert-ttl'] ?? '2160h');
  if (defaultTtlMs <= 0 || maxTtlMs <= 0)
    throw new CommandError('--workload-cert-ttl and --max-workload-cert-ttl must be positive');
  return {
    mode,
    cacertsDir: values['cacerts-dir'],
    trustedNodeAccounts: trusted,
    defaultTtlMs,
    maxTtlMs,
    servingDnsNames: values['serving-dns-names'] === undefined ? undefined : list(values['serving-dns-names']),
    reloadMs: parseDuration('ca-reload', values['ca-reload'] ?? '60s'),
  };
}
