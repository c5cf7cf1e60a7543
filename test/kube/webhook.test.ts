// The validating admission webhook end to end: the real kubectl applies
// objects to the test API server, which calls our webhook over HTTPS as the
// ValidatingWebhookConfiguration of deploy/ says; the server keeps that
// configuration's CA bundle and failurePolicy current
// (pkg/webhooks/validation/controller/controller.go). Objects that get in
// anyway are refused at load by the informer source.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import YAML from 'yaml';
import { WebhookConfigController } from '../../src/controller/webhook-config';
import { startWebhookServer, type WebhookServer } from '../../src/webhook/server';
import { KubeSource } from '../../src/watch/kube';
import type { Change, KubeObject } from '../../src/model';
import { describeError } from '../../src/watch/source';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { KUBECTL, runKubectl } from './kubectl';
import { startKubeServer, type KubeServer } from './server';

const PROJECT = join(__dirname, '..', '..', '..');
const log = pino({ level: 'silent' });

const badPolicy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: typo, namespace: default}
spec:
  action: ALLOW
  rules:
  - from: [{source: {ipBlocks: [203.0.113.0/24x]}}]
  - from: [{source: {principals: [cluster.local/ns/default/sa/reader]}}]
`;
const route = (name: string, regex: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews}]
  rules:
  - matches: [{path: {type: RegularExpression, value: '${regex}'}}]
    backendRefs: [{name: reviews, port: 9080}]
`;

function deployedWebhookConfig(url: string): Record<string, unknown> {
  const docs = YAML.parseAllDocuments(readFileSync(join(PROJECT, 'deploy', 'istiod-lite.yaml'), 'utf8')).map(
    (d) => d.toJS() as { kind: string; webhooks?: { clientConfig: unknown }[] },
  );
  const vwc = docs.find((d) => d.kind === 'ValidatingWebhookConfiguration')!;
  // The test server cannot resolve a Service: the same webhook, reached by URL.
  for (const h of vwc.webhooks ?? []) h.clientConfig = { url };
  return vwc;
}

describe(
  'validating admission webhook, driven by the real kubectl',
  { skip: (!KUBECTL && 'kubectl not installed') || (!OPENSSL && 'openssl not installed') },
  () => {
    let srv: KubeServer;
    let dir: string;
    let kc: string;
    let ca: TestCa;
    let hook: WebhookServer;
    let config: WebhookConfigController;
    let kubeConfig: k8s.KubeConfig;
    const vwc = () =>
      srv.get(
        'admissionregistration.k8s.io/v1',
        'ValidatingWebhookConfiguration',
        undefined,
        'istiod-lite-validator',
      ) as { webhooks: { failurePolicy: string; clientConfig: { caBundle?: string } }[] } | undefined;

    before(async () => {
      srv = await startKubeServer();
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-webhook-'));
      kc = srv.writeKubeconfig(dir);
      ca = makeCa();
      const cert = ca.issue('istiod-lite', ['DNS:localhost', 'IP:127.0.0.1']);
      hook = await startWebhookServer({ host: '127.0.0.1', port: 0, certFile: cert.cert, keyFile: cert.key, log });
      kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromFile(kc);
      const applied = await runKubectl(kc, ['apply', '-f', join(PROJECT, 'examples', 'bookinfo')]);
      assert.equal(applied.code, 0, applied.stderr);
      srv.put(deployedWebhookConfig(`https://127.0.0.1:${hook.port}/validate`) as never);
      config = new WebhookConfigController(kubeConfig, log, {
        name: 'istiod-lite-validator',
        caFile: ca.caFile,
        namespace: 'istio-system',
        intervalMs: 60_000,
      });
    });
    after(async () => {
      await hook.close();
      await srv.close();
      ca.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    it('fills in the CA bundle, proves a bad object is refused, then switches failurePolicy to Fail', async () => {
      assert.equal(vwc()?.webhooks[0]?.failurePolicy, 'Ignore', 'deploy/ ships with Ignore, as istiod does');
      assert.equal(vwc()?.webhooks[0]?.clientConfig.caBundle, undefined);
      await config.reconcile();
      const after = vwc()!;
      const bundle = readFileSync(ca.caFile).toString('base64');
      for (const h of after.webhooks) {
        assert.equal(h.clientConfig.caBundle, bundle);
        assert.equal(h.failurePolicy, 'Fail');
      }
      assert.equal(
        srv.get('security.istio.io/v1', 'AuthorizationPolicy', 'istio-system', 'istiod-lite-webhook-probe'),
        undefined,
        'the probe was a dry run',
      );
    });

    it('kubectl apply of an invalid object fails with the field and the problem; valid ones go in', async () => {
      const bad = await runKubectl(kc, ['apply', '-f', '-'], badPolicy);
      assert.notEqual(bad.code, 0);
      assert.match(
        bad.stderr,
        /admission webhook "validation\.istiod-lite\.io" denied the request: configuration is invalid: spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\]: bad CIDR range \(203\.0\.113\.0\/24x\)/,
      );
      assert.equal(srv.get('security.istio.io/v1', 'AuthorizationPolicy', 'default', 'typo'), undefined);
      const regex = await runKubectl(kc, ['apply', '-f', '-'], route('bad-regex', '/(foo'));
      assert.notEqual(regex.code, 0);
      assert.match(regex.stderr, /spec\.rules\[0\]\.matches\[0\]\.path\.value: invalid regex: .*missing closing \)/);
      const good = await runKubectl(kc, ['apply', '-f', '-'], route('good', '/api/.*'));
      assert.equal(good.code, 0, good.stderr);
      // An edit that breaks a stored object is refused too (UPDATE), and the stored one stays.
      const edit = await runKubectl(kc, ['apply', '-f', '-'], route('good', '[a-'));
      assert.notEqual(edit.code, 0);
      assert.match(edit.stderr, /missing closing \]/);
      const kept = srv.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'good') as unknown as {
        spec: { rules: { matches: { path: { value: string } }[] }[] };
      };
      assert.equal(kept.spec.rules[0]?.matches[0]?.path.value, '/api/.*');
    });

    it('keeps the CA bundle current when the CA changes', async () => {
      const other = makeCa();
      try {
        const rotated = new WebhookConfigController(kubeConfig, log, {
          name: 'istiod-lite-validator',
          caFile: other.caFile,
          namespace: 'istio-system',
          intervalMs: 60_000,
        });
        await rotated.reconcile();
        assert.equal(vwc()?.webhooks[0]?.clientConfig.caBundle, readFileSync(other.caFile).toString('base64'));
        await config.reconcile();
        assert.equal(vwc()?.webhooks[0]?.clientConfig.caBundle, readFileSync(ca.caFile).toString('base64'));
      } finally {
        other.remove();
      }
    });

    it('objects that got in without the webhook are refused at load, AuthorizationPolicy failing closed', async () => {
      srv.put(YAML.parse(badPolicy) as never);
      srv.put(YAML.parse(route('sneaked', '/(foo')) as never);
      const src = new KubeSource({ config: kubeConfig, log });
      const changes: Change[] = [];
      src.onChanges((c) => changes.push(...c));
      await src.start();
      await src.stop();
      const upserted = (kind: string, name: string) =>
        changes.find((c) => c.op === 'upsert' && c.object.kind === kind && c.object.metadata.name === name) as
          { object: KubeObject & { spec?: { rules?: unknown[] } } } | undefined;
      assert.equal(upserted('HTTPRoute', 'sneaked'), undefined, 'an invalid route is not served');
      assert.ok(upserted('HTTPRoute', 'good'), 'the valid route beside it is');
      const policy = upserted('AuthorizationPolicy', 'typo');
      assert.equal(policy?.object.spec?.rules?.length, 1, 'the ALLOW rule with the bad CIDR is dropped');
      assert.deepEqual(policy?.object.invalid, [
        'spec.rules[0].from[0].source.ipBlocks[0]: bad CIDR range (203.0.113.0/24x): bad bits after slash: "24x"',
      ]);
      const errs = src.errors().map(describeError);
      assert.ok(
        errs.includes(
          'kubernetes: HTTPRoute default/sneaked: spec.rules[0].matches[0].path.value: invalid regex: error parsing regexp: missing closing ): `/(foo`',
        ),
        errs.join('\n'),
      );
    });

    it('with failurePolicy Fail, a webhook that is down blocks writes with the reason', async () => {
      await hook.close();
      const r = await runKubectl(kc, ['apply', '-f', '-'], route('while-down', '/x'));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /failed calling webhook "validation\.istiod-lite\.io"/);
    });
  },
);
