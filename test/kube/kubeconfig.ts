import * as k8s from '@kubernetes/client-node';

/** A client-node config pointing at a test API server (any token is accepted there). */
export function kubeConfigFor(srv: { url: string }): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: srv.url, skipTLSVerify: true }],
    users: [{ name: 't', token: 'x' }],
    contexts: [{ name: 't', cluster: 't', user: 't' }],
    currentContext: 't',
  });
  return kc;
}
