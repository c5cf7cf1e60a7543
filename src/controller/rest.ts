import * as http from 'node:http';
import * as https from 'node:https';
import type * as k8s from '@kubernetes/client-node';

/**
 * A minimal request to the API server with the kubeconfig's credentials,
 * for the calls client-node's object API lacks (status subresources).
 */
export async function kubeRequest(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  body: unknown,
  contentType: string,
): Promise<unknown> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('no cluster in kubeconfig');
  const url = new URL(path, server);
  const opts: https.RequestOptions = { method, headers: { 'content-type': contentType, accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  const mod = url.protocol === 'https:' ? https : http;
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400)
          reject(
            Object.assign(new Error(`${method} ${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`), {
              code: res.statusCode,
            }),
          );
        else resolve(text ? (JSON.parse(text) as unknown) : undefined);
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
