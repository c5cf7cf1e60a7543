import type * as k8s from '@kubernetes/client-node';
import { CommandError } from './errors';
import { requireCluster, type KubeTarget } from './kube-context';

/** A client for commands that talk to the cluster; none configured or unreachable means a clear error, fast. */
export async function kubeClient(opts: {
  kubeconfig?: string;
  context?: string;
}): Promise<KubeTarget & { objects: k8s.KubernetesObjectApi }> {
  const target = await requireCluster(opts);
  const { KubernetesObjectApi } = await import('@kubernetes/client-node');
  return { ...target, objects: KubernetesObjectApi.makeApiClient(target.kc) };
}

/** The client for a command's --kubeconfig/--context, and the namespace it acts in: -n, else the context's. */
export async function clientIn(
  v: Readonly<Record<string, unknown>>,
): Promise<KubeTarget & { objects: k8s.KubernetesObjectApi; ns: string }> {
  const c = await kubeClient({
    kubeconfig: v.kubeconfig as string | undefined,
    context: v.context as string | undefined,
  });
  return { ...c, ns: (v.namespace as string | undefined) ?? c.namespace };
}

/** Runs a cluster call with a deadline and turns failures into messages a user can act on. */
export async function call<T>(what: string, server: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CommandError(`${what}: no answer from ${server} within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn(), deadline]);
  } catch (e) {
    if (e instanceof CommandError) throw e;
    const code = (e as { code?: number }).code;
    if (code === 404) throw new NotFound(what);
    const body = (e as { body?: unknown }).body;
    const detail =
      typeof body === 'string'
        ? body
        : body && typeof body === 'object' && 'message' in body
          ? String((body as { message: unknown }).message)
          : e instanceof Error
            ? e.message
            : String(e);
    throw new CommandError(`${what}: ${detail}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export class NotFound extends CommandError {}
