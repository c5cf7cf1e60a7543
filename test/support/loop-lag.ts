import * as grpc from '@grpc/grpc-js';
import { type Authenticator, AuthError, type Identity } from '../../src/xds';

/**
 * Watches this process's event loop: the longest a 20 ms timer fired late
 * while it ran. The server runs in the test's process, so a request that
 * blocks the server shows up here.
 */
export function watchLoop(intervalMs = 20): { stop(): number } {
  let max = 0;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - intervalMs);
    last = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(t);
      return max;
    },
  };
}

/**
 * An authenticator for tests on a plaintext port: the `x-test-ns` header
 * names the caller's namespace, `x-test-refuse` is refused.
 */
export const headerAuthenticator: Authenticator = {
  kind: 'test-header',
  authenticate({ metadata }) {
    if (metadata.get('x-test-refuse').length > 0)
      return Promise.reject(new AuthError(grpc.status.UNAUTHENTICATED, 'refused by the test authenticator'));
    const ns = metadata.get('x-test-ns')[0];
    if (ns === undefined) return Promise.resolve(undefined);
    const id: Identity = { trustDomain: 'cluster.local', namespace: String(ns), serviceAccount: 'sa', via: 'token' };
    return Promise.resolve(id);
  },
};

/** Client options that send `headers` with every call (a plaintext channel carries no call credentials). */
export function withHeaders(headers: Record<string, string>): grpc.ClientOptions {
  const interceptor: grpc.Interceptor = (options, next) =>
    new grpc.InterceptingCall(next(options), {
      start(metadata, listener, start) {
        for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
        start(metadata, listener);
      },
    });
  return { interceptors: [interceptor] };
}

/** Metadata carrying `headers`, for a unary call. */
export function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return md;
}
