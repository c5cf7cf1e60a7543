import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadAll } from 'js-yaml';
import { PROJECT_ROOT, CLI } from '../e2e/serve-process';
import { findHelm } from '../support/helm';
import { KUBECTL, runKubectl } from '../kube/kubectl';
import { startKubeServer, type KubeServer } from '../kube/server';

const CHART = join(PROJECT_ROOT, 'deploy', 'helm', 'istiod-lite');
const RENDERED = join(PROJECT_ROOT, 'deploy', 'istiod-lite.yaml');
const HEADER = `# Rendered from deploy/helm/istiod-lite with its default values:
#   helm template istiod-lite deploy/helm/istiod-lite -n istio-system
# Regenerate with UPDATE_DEPLOY=1 npm test -- deploy/chart. istiod-lite is the
# mesh's CA here and issues its own serving certificate; the chart's values can
# have cert-manager issue it instead (see the README's "Install").
`;

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const helm = findHelm();

describe('the Helm chart', { skip: !helm && 'no helm binary could be found or fetched' }, () => {
  const template = (args: string[] = [], namespace = 'istio-system') =>
    spawnSync(helm!, ['template', 'istiod-lite', CHART, '-n', namespace, ...args], { encoding: 'utf8' });
  const render = (args: string[] = []): Obj[] => {
    const r = template(args);
    assert.equal(r.status, 0, r.stderr);
    return (loadAll(r.stdout) as (Obj | null)[]).filter((o): o is Obj => o !== null);
  };
  const deployment = (objs: Obj[]) => objs.find((o) => o.kind === 'Deployment')!;
  const podSpec = (objs: Obj[]) =>
    (deployment(objs).spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      securityContext: Record<string, unknown>;
      containers: { args: string[]; env: { name: string }[]; securityContext: Record<string, unknown> }[];
    };

  it('passes helm lint', () => {
    const r = spawnSync(helm!, ['lint', CHART, '--strict', '-n', 'istio-system'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('renders deploy/istiod-lite.yaml from its defaults', () => {
    const r = template();
    assert.equal(r.status, 0, r.stderr);
    const want = HEADER + r.stdout;
    if (process.env.UPDATE_DEPLOY) writeFileSync(RENDERED, want);
    assert.equal(
      readFileSync(RENDERED, 'utf8'),
      want,
      'deploy/istiod-lite.yaml is stale: UPDATE_DEPLOY=1 npm test -- deploy/chart',
    );
  });

  it('is the mesh CA by default, issuing its own serving certificate: nothing to mount', () => {
    const objs = render();
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.ok(kinds.includes('Namespace/istio-system'));
    const spec = podSpec(objs) as unknown as { volumes?: unknown[]; containers: { args: string[] }[] };
    assert.ok(spec.containers[0]!.args.includes('--ca=on'));
    assert.equal(spec.volumes, undefined);
    assert.ok(!objs.some((o) => o.kind === 'Certificate'));
  });

  it('creates what it mounts with cert-manager: the serving certificate and its issuer', () => {
    const objs = render(['--set', 'tls.source=certManager']);
    const secret = (podSpec(objs) as unknown as { volumes: { secret: { secretName: string } }[] }).volumes[0]!.secret
      .secretName;
    const cert = objs.find((o) => o.kind === 'Certificate' && (o.spec as { secretName: string }).secretName === secret);
    assert.ok(cert, `a Certificate writes the Secret ${secret} the pods mount`);
    assert.deepEqual((cert.spec as { dnsNames: string[] }).dnsNames, [
      'istiod-lite.istio-system.svc',
      'istiod-lite.istio-system.svc.cluster.local',
    ]);
    const image = (deployment(objs).spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
      .containers[0]!.image;
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(image, `istiod-lite:${version}`, 'the image carries the release, never :latest');
    assert.ok(objs.some((o) => o.kind === 'PodDisruptionBudget'));
  });

  it('meets Pod Security "restricted" and carries what operators expect', () => {
    const spec = podSpec(render());
    assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(spec.securityContext.runAsNonRoot, true);
    for (const c of spec.containers) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
      assert.ok(c.env.some((e) => e.name === 'POD_NAMESPACE'));
    }
    assert.ok((spec as unknown as { topologySpreadConstraints: unknown[] }).topologySpreadConstraints.length > 0);
  });

  it('passes serve only flags serve accepts, whatever the values', () => {
    const usage = execFileSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' });
    const objs = render([
      '--set',
      'revision=canary',
      '--set',
      'gatewayClass=lite-waypoint',
      '--set',
      'controllerName=example.com/lite',
    ]);
    const args = podSpec(objs).containers[0]!.args;
    assert.ok(args.includes('--revision=canary') && args.includes('--gateway-class=lite-waypoint'));
    for (const a of args.filter((x) => x.startsWith('--'))) {
      const flag = a.split('=')[0]!;
      assert.ok(usage.includes(`  ${flag} `), `serve --help lists ${flag}`);
    }
    assert.equal(deployment(objs).metadata.labels?.['istio.io/rev'], 'canary');
  });

  it('adds the monitoring objects when asked, with the shipped rules and dashboard', () => {
    const objs = render([
      '--set',
      'monitoring.serviceMonitor=true',
      '--set',
      'monitoring.prometheusRule=true',
      '--set',
      'monitoring.dashboard=true',
      '--set',
      'tls.source=existing',
    ]);
    assert.ok(objs.some((o) => o.kind === 'ServiceMonitor'));
    const rule = objs.find((o) => o.kind === 'PrometheusRule')!;
    assert.ok(JSON.stringify(rule.spec).includes('pilot_total_xds_rejects'));
    const dash = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istiod-lite-dashboard')!;
    assert.equal((JSON.parse(dash.data!['istiod-lite.json']!) as { uid: string }).uid, 'istiod-lite');
    assert.ok(!objs.some((o) => o.kind === 'Certificate'), 'an existing Secret needs no Certificate');
  });

  it('refuses a namespace other than istio-system, saying why', () => {
    const r = template([], 'mesh');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /istiod-lite runs in istio-system/);
  });

  describe('applied with the real kubectl', { skip: !KUBECTL && 'kubectl not installed' }, () => {
    let srv: KubeServer;
    let dir: string;
    let kc: string;
    before(async () => {
      srv = await startKubeServer();
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-chart-'));
      kc = srv.writeKubeconfig(dir);
    });
    after(async () => {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('applies the rendered manifests, cert-manager objects included, and creates every object', async () => {
      // cert-manager's kinds, as its CRDs would serve them (shape only).
      const crd = (kind: string, plural: string) => ({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.cert-manager.io` },
        spec: {
          group: 'cert-manager.io',
          names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      });
      const crds = [crd('Certificate', 'certificates'), crd('Issuer', 'issuers')];
      let r = await runKubectl(kc, ['apply', '-f', '-'], crds.map((c) => JSON.stringify(c)).join('\n'));
      assert.equal(r.code, 0, r.stderr);
      // kubectl caches discovery; the new kinds are seen once it asks again.
      rmSync(join(dir, '.kube-cache'), { recursive: true, force: true });
      r = await runKubectl(kc, ['apply', '-f', RENDERED]);
      assert.equal(r.code, 0, r.stderr);
      const withCertManager = render(['--set', 'tls.source=certManager']);
      r = await runKubectl(kc, ['apply', '-f', '-'], withCertManager.map((o) => JSON.stringify(o)).join('\n'));
      assert.equal(r.code, 0, r.stderr);
      const want = [
        ...(loadAll(readFileSync(RENDERED, 'utf8')) as (Obj | null)[]).filter((o): o is Obj => o !== null),
        ...withCertManager,
      ];
      for (const o of want) {
        assert.ok(
          srv.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name),
          `${o.kind} ${o.metadata.name} was created`,
        );
      }
      // A second apply creates nothing. (kubectl re-sends a PodDisruptionBudget's
      // selector, whose patch strategy is replace, so "configured" is not a change.)
      r = await runKubectl(kc, ['apply', '-f', RENDERED]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /created/);
    });
  });
});
