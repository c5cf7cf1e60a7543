import type { Logger } from 'pino';
import { KubeSource } from '../watch/kube';
import { CommandError } from './errors';

/** A Kubernetes source, with a clear error when the kubeconfig cannot be read. */
export function createKubeSource(opts: { kubeconfig?: string; log: Logger }): KubeSource {
  try {
    return new KubeSource({ kubeconfig: opts.kubeconfig, log: opts.log });
  } catch (e) {
    throw new CommandError(
      `cannot load ${opts.kubeconfig ? `kubeconfig ${opts.kubeconfig}` : 'in-cluster configuration'}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
