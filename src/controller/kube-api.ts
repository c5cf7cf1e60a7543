import type * as k8s from '@kubernetes/client-node';
import { kindInfo } from '../model';

let loaded: typeof k8s | undefined;

/**
 * @kubernetes/client-node, loaded on first use: loading it costs ~300 ms of
 * start-up, and `serve --config-dir` never calls the API server.
 */
export function k8sLib(): typeof k8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@kubernetes/client-node') as typeof k8s);
}

/** Patch strategies, as the Content-Type of a PATCH. */
export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** How long one API call may take before it fails, so a hung API server cannot stall a writer. */
export const CALL_TIMEOUT_MS = 10_000;

const resolved = <T>(v: T) => {
  const { Observable } = k8sLib();
  return new Observable(Promise.resolve(v));
};

/**
 * Options for one typed client-node call: the time limit above and, when
 * given, the request's content type (a patch's strategy: client-node's typed
 * patch methods otherwise send a JSON patch).
 */
export function callOptions(contentType?: string): k8s.ConfigurationOptions {
  const timeout: k8s.ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(CALL_TIMEOUT_MS));
      return resolved(ctx);
    },
    post: (res) => resolved(res),
  };
  const opts: k8s.ConfigurationOptions = { middleware: [timeout], middlewareMergeStrategy: 'append' };
  return contentType ? k8sLib().setHeaderOptions('Content-Type', contentType, opts) : opts;
}

/** The HTTP status of a failed typed call (client-node's ApiException), if it got that far. */
export function statusOf(e: unknown): number | undefined {
  return e instanceof k8sLib().ApiException ? (e as k8s.ApiException<unknown>).code : undefined;
}

/** An object whose status subresource is written. */
export interface StatusTarget {
  kind: string;
  namespace?: string;
  name: string;
  /** The object's own apiVersion, when known; else the kind's first served version. */
  apiVersion?: string;
}

/**
 * Patches an object's status subresource through client-node's typed API:
 * a Service through CoreV1Api, any custom resource through CustomObjectsApi.
 * `contentType` is the patch strategy (merge or JSON patch).
 */
export async function patchStatus(
  kc: k8s.KubeConfig,
  target: StatusTarget,
  body: unknown,
  contentType: string,
  fieldManager: string,
): Promise<void> {
  const info = kindInfo(target.kind);
  if (!info) throw new Error(`unknown kind ${target.kind}`);
  const namespace = target.namespace ?? 'default';
  const options = callOptions(contentType);
  if (!info.group) {
    if (target.kind !== 'Service') throw new Error(`no status subresource written for core kind ${target.kind}`);
    await kc
      .makeApiClient(k8sLib().CoreV1Api)
      .patchNamespacedServiceStatus({ name: target.name, namespace, body, fieldManager }, options);
    return;
  }
  const version = target.apiVersion?.includes('/') ? target.apiVersion.split('/')[1]! : info.versions[0]!;
  const api = kc.makeApiClient(k8sLib().CustomObjectsApi);
  const ref = { group: info.group, version, plural: info.plural, name: target.name, body, fieldManager };
  if (info.namespaced) await api.patchNamespacedCustomObjectStatus({ ...ref, namespace }, options);
  else await api.patchClusterCustomObjectStatus(ref, options);
}
