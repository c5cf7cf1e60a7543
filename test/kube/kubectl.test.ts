import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KUBECTL, runKubectl } from './kubectl';
import { startKubeServer, type KubeServer } from './server';

const PROJECT = join(__dirname, '..', '..', '..');

describe(
  'the Kubernetes test server, driven by the real kubectl',
  { skip: !KUBECTL && 'kubectl not installed' },
  () => {
    let srv: KubeServer;
    let dir: string;
    let kc: string;
    const k = async (args: string[], stdin?: string) => {
      const r = await runKubectl(kc, args, stdin);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    before(async () => {
      srv = await startKubeServer();
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-kubectl-'));
      kc = srv.writeKubeconfig(dir);
    });
    after(async () => {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('applies the bookinfo manifests (client-side) and lists them', async () => {
      const out = await k(['apply', '-f', join(PROJECT, 'examples', 'bookinfo')]);
      assert.match(out, /gateway\.gateway\.networking\.k8s\.io\/waypoint created/);
      assert.match(out, /authorizationpolicy\.security\.istio\.io\/viewer created/);
      assert.match(await k(['get', 'ns', '-L', 'istio.io/dataplane-mode']), /default\s+\S+\s+ambient/);
      assert.equal(
        (await k(['get', 'pods', '-l', 'app=reviews,version in (v1,v2)', '-o', 'name'])).trim().split('\n').length,
        2,
      );
      const again = await k(['apply', '-f', join(PROJECT, 'examples', 'bookinfo')]);
      assert.doesNotMatch(again, /created|configured/, 'a second apply changes nothing');
    });

    it('labels, annotates and patches with every patch type', async () => {
      await k(['label', 'service', 'reviews', 'team=a']);
      await k(['label', 'service', 'reviews', 'team=b', '--overwrite']);
      await k(['annotate', 'service', 'reviews', 'note=x']);
      await k(['patch', 'service', 'reviews', '--type', 'merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
      await k([
        'patch',
        'service',
        'reviews',
        '--type',
        'json',
        '-p',
        '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]',
      ]);
      await k([
        'patch',
        'service',
        'reviews',
        '--type',
        'strategic',
        '-p',
        '{"spec":{"ports":[{"port":9080,"name":"http-web"}]}}',
      ]);
      const svc = JSON.parse(await k(['get', 'service', 'reviews', '-o', 'json'])) as {
        metadata: { labels: Record<string, string>; annotations: Record<string, string> };
        spec: { ports: { name: string; port: number }[] };
      };
      assert.equal(svc.metadata.labels.team, 'b');
      assert.equal(svc.metadata.labels.merged, 'yes');
      assert.equal(svc.metadata.labels.json, 'yes');
      assert.equal(svc.metadata.annotations.note, 'x');
      assert.deepEqual(
        svc.spec.ports.map((p) => `${p.name}:${p.port}`),
        ['http-web:9080'],
        'ports merge by port',
      );
      await k(['label', 'service', 'reviews', 'team-']);
      assert.equal(JSON.parse(await k(['get', 'service', 'reviews', '-o', 'json'])).metadata.labels.team, undefined);
    });

    it('server-side applies, honours dry runs and deletes', async () => {
      const route = `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: ssa\n  namespace: default\nspec:\n  parentRefs:\n  - {group: "", kind: Service, name: details}\n  rules:\n  - backendRefs:\n    - {name: details, port: 9080}\n`;
      assert.match(await k(['apply', '--server-side', '-f', '-'], route), /serverside-applied/);
      const got = JSON.parse(await k(['get', 'httproute', 'ssa', '-o', 'json', '--show-managed-fields'])) as {
        metadata: { managedFields: { manager: string }[]; generation: number };
      };
      assert.ok(got.metadata.managedFields.some((f) => f.manager === 'kubectl'));
      assert.match(await k(['delete', 'httproute', 'ssa', '--dry-run=server']), /deleted \(server dry run\)/);
      await k(['get', 'httproute', 'ssa']);
      assert.match(
        await k(['apply', '--dry-run=server', '-f', '-'], route.replace('name: ssa', 'name: dry')),
        /created \(server dry run\)/,
      );
      const missing = await runKubectl(kc, ['get', 'httproute', 'dry']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /NotFound/);
      await k(['delete', 'httproute', 'ssa']);
    });

    it('applies the shared Gateway API and Istio CRDs when they are available', async (t) => {
      const crds = join(PROJECT, '..', 'shared', 'crds');
      const { existsSync } = await import('node:fs');
      if (!existsSync(crds)) return t.skip('../shared/crds not present');
      const out = await k(['apply', '--server-side', '-f', join(crds, 'gateway-api-v1.5.1')]);
      assert.match(
        out,
        /customresourcedefinition\.apiextensions\.k8s\.io\/httproutes\.gateway\.networking\.k8s\.io serverside-applied/,
      );
    });
  },
);
