import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
// The Kubernetes client is loaded when a command looks for a cluster, not when
// any command starts: it is slow to load, and serve --config-dir never uses it.
import type * as k8s from '@kubernetes/client-node';
import { CommandError } from './errors';

/** The flags every cluster command takes, as kubectl and istioctl spell them. */
export const KUBE_FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
} as const;

export const KUBE_USAGE = `  --kubeconfig PATH       kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME          kubeconfig context to use (default: its current context)`;

export interface KubeTarget {
  kc: k8s.KubeConfig;
  /** The API server's address, for messages. */
  server: string;
  /** The context's namespace, or "default": what -n defaults to (istioctl's NamespaceOrDefault). */
  namespace: string;
}

export const NO_CLUSTER = 'no Kubernetes cluster configured';

/**
 * The cluster the user's kubeconfig points at, found where kubectl looks
 * (--kubeconfig, $KUBECONFIG, ~/.kube/config, then the in-cluster
 * environment), or undefined when there is none. client-node's own fallback
 * (an unauthenticated localhost:8080) is never used: it only produces a
 * connection error naming an address the user never gave.
 */
export async function findCluster(opts: { kubeconfig?: string; context?: string }): Promise<KubeTarget | undefined> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const load = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      throw new CommandError(`cannot load ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const envPaths = (process.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  const home = join(homedir(), '.kube', 'config');
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw new CommandError(`--kubeconfig ${opts.kubeconfig}: no such file`);
    load(`kubeconfig ${opts.kubeconfig}`, () => kc.loadFromFile(opts.kubeconfig!));
  } else if (envPaths.length > 0) {
    const present = envPaths.filter((p) => existsSync(p));
    if (present.length === 0) return undefined;
    load(`KUBECONFIG (${present.join(delimiter)})`, () => kc.loadFromDefault());
  } else if (existsSync(home)) {
    load(`kubeconfig ${home}`, () => kc.loadFromFile(home));
  } else if (process.env.KUBERNETES_SERVICE_HOST && process.env.KUBERNETES_SERVICE_PORT) {
    load('the in-cluster configuration', () => kc.loadFromCluster());
  } else {
    return undefined;
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CommandError(
        `--context ${opts.context}: no such context (kubeconfig has: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) return undefined;
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  return { kc, server: cluster.server, namespace };
}

/** The user's cluster, or an error saying where one is looked for. */
export async function requireCluster(
  opts: { kubeconfig?: string; context?: string },
  alternative = '',
): Promise<KubeTarget> {
  const t = await findCluster(opts);
  if (!t)
    throw new CommandError(
      `${NO_CLUSTER}: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config${alternative ? `; ${alternative}` : ''}`,
    );
  return t;
}
