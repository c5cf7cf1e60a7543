// Starting the certificate authority the TLS port serves, from serve's CA options.
import type { Logger } from 'pino';
import type { RunningCa } from '../ca/setup';
import { SetupError } from './errors';
import { scoped } from './log';
import type { CaOptions } from './options';
import type { Pipeline } from './pipeline';

export async function startCa(
  opts: CaOptions,
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
      cacertsDir: opts.cacertsDir,
      namespace: ns,
      trustDomain: auth.trustDomain,
      defaultTtlMs: opts.defaultTtlMs,
      maxTtlMs: opts.maxTtlMs,
      trustedNodeAccounts: opts.trustedNodeAccounts ?? new Set([`${ns}/ztunnel`]),
      servingDnsNames: opts.servingDnsNames ?? [`istiod-lite.${ns}.svc`],
      reloadMs: opts.reloadMs,
      mayCreateRoot: isLeader,
      log: scoped(log, 'ca'),
    });
  } catch (e) {
    throw new SetupError(`certificate authority: ${e instanceof Error ? e.message : String(e)}`);
  }
  pipeline.onUpdate((world) => ca.update(world));
  return ca;
}
