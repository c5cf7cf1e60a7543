import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeSource } from '../watch/kube';
import { SetupError } from './errors';

/** A Kubernetes source, with a clear error when the kubeconfig cannot be read. */
export function createKubeSource(opts: { kubeconfig?: string; config?: KubeConfig; log: Logger }): KubeSource {
  try {
    return new KubeSource({ kubeconfig: opts.kubeconfig, config: opts.config, log: opts.log });
  } catch (e) {
    throw new SetupError(
      `cannot load ${opts.kubeconfig ? `kubeconfig ${opts.kubeconfig}` : 'in-cluster configuration'}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
