// serve's certificate-authority flags, and starting the CA from them.
import type { Logger } from 'pino';
import { DEFAULT_CERT_TTL_MS, MAX_CERT_TTL_MS } from '../ca/ttl';
import { parseTrustedAccounts } from '../ca/node-authorizer';
import type { RunningCa } from '../ca/setup';
import { CommandError } from './errors';
import { oneOf, parseDuration } from './flags';
import { scoped } from '../server/log';
import type { Pipeline } from '../server/pipeline';

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

export interface CaFlags {
  /** auto: only where workloads can prove who they are to it (a cluster's tokens, or a plug-in CA's certificates). */
  mode: 'auto' | 'on';
  cacertsDir?: string;
  /** Undefined: `<system namespace>/ztunnel`, as istiod's ambient install sets CA_TRUSTED_NODE_ACCOUNTS. */
  trustedNodeAccounts?: Set<string>;
  defaultTtlMs: number;
  maxTtlMs: number;
  servingDnsNames?: string[];
  reloadMs: number;
}

type Values = { [K in keyof typeof CA_FLAGS]?: string };

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The CA's options, or undefined when it is off (`--ca auto` turns it on with the TLS files). */
export function caFlags(values: Values, tlsFiles: boolean): CaFlags | undefined {
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

export async function startCa(
  flags: CaFlags,
  auth: { trustDomain: string; systemNamespace: string },
  pipeline: Pipeline,
  log: Logger,
  /** The leader lease's holder test: only the leader creates the self-signed root. */
  isLeader?: () => boolean,
): Promise<RunningCa> {
  const ns = auth.systemNamespace;
  // Loaded here: the X.509 library costs ~0.1 s to load, and directory mode runs no CA by default.
  const { RunningCa } = await import('../ca/setup');
  let ca: RunningCa;
  try {
    ca = await RunningCa.start({
      kube: pipeline.kube?.kubeConfig,
      cacertsDir: flags.cacertsDir,
      namespace: ns,
      trustDomain: auth.trustDomain,
      defaultTtlMs: flags.defaultTtlMs,
      maxTtlMs: flags.maxTtlMs,
      trustedNodeAccounts: flags.trustedNodeAccounts ?? new Set([`${ns}/ztunnel`]),
      servingDnsNames: flags.servingDnsNames ?? [`istiod-lite.${ns}.svc`],
      reloadMs: flags.reloadMs,
      mayCreateRoot: isLeader,
      log: scoped(log, 'ca'),
    });
  } catch (e) {
    throw new CommandError(`certificate authority: ${e instanceof Error ? e.message : String(e)}`);
  }
  pipeline.onUpdate((world) => ca.update(world));
  return ca;
}
