// How the CLI fails, as a user sees it: one line naming the problem, istioctl's
// exit codes (istioctl/cmd/sysexits.go), never a Node stack trace.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, PROJECT_ROOT, runCli, startServe } from './serve-process';

const STACK = /^\s+at /m;

/** Runs `sh -c script` and returns its output. */
function sh(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('CLI errors and help', () => {
  let home: string;
  /** No kubeconfig anywhere kubectl would look. */
  let noCluster: Record<string, string>;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'istiod-lite-home-'));
    noCluster = { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' };
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('each waypoint subcommand answers -h with its own usage', async () => {
    for (const sub of ['generate', 'apply', 'list', 'status', 'delete']) {
      const r = await runCli(['waypoint', sub, '-h']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: istiod-lite waypoint ${sub}\\b`));
    }
    const apply = await runCli(['x', 'waypoint', 'apply', '--help']);
    assert.match(apply.stdout, /--enroll-namespace/);
    assert.doesNotMatch(apply.stdout, /--all-namespaces/, 'only its own flags');
    const top = await runCli(['waypoint', '--help']);
    assert.match(top.stdout, /^usage: istiod-lite waypoint <subcommand>/);
  });

  it('an unknown flag, command or subcommand is one line and exit 64', async () => {
    const cases: [string[], string][] = [
      [['translate', '--nosuch'], 'error: unknown flag: --nosuch (see "istiod-lite translate --help")\n'],
      [['nosuch'], 'error: unknown command "nosuch" (see "istiod-lite --help")\n'],
      [
        ['waypoint', 'nosuch'],
        'error: unknown subcommand "nosuch" for "istiod-lite waypoint" (see "istiod-lite waypoint --help")\n',
      ],
      [['waypoint', 'list', '--all'], 'error: unknown flag: --all (see "istiod-lite waypoint list --help")\n'],
      [
        ['waypoint', 'generate', 'extra'],
        'error: unexpected argument "extra": generate takes no arguments (see "istiod-lite waypoint generate --help")\n',
      ],
      [['translate', '-f'], 'error: flag needs an argument: -f, --filename (see "istiod-lite translate --help")\n'],
      [
        ['waypoint', 'apply', '--waypoint-timeout', '90'],
        'error: --waypoint-timeout: "90" is not a duration (e.g. 100ms, 10s, 1m30s) (see "istiod-lite waypoint apply --help")\n',
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = await runCli(args, 20_000, noCluster);
      assert.equal(r.stderr, stderr, args.join(' '));
      assert.equal(r.code, 64, args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  it("with no cluster configured, cluster commands say so (never client-node's localhost:8080)", async () => {
    for (const args of [['waypoint', 'list'], ['waypoint', 'apply'], ['analyze'], ['ztunnel-config', 'service']]) {
      const r = await runCli(args, 20_000, noCluster);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(
        r.stderr,
        /^error: no Kubernetes cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~\/\.kube\/config/,
      );
      assert.doesNotMatch(r.stderr, /localhost:8080|127\.0\.0\.1:8080/);
      assert.doesNotMatch(r.stderr, STACK);
    }
    const missing = await runCli(['waypoint', 'list', '--kubeconfig', join(home, 'nope')], 20_000, noCluster);
    assert.equal(missing.stderr, `error: --kubeconfig ${join(home, 'nope')}: no such file\n`);
  });

  it('waypoint generate omits the namespace unless -n is given, and honours -o json', async () => {
    const r = await runCli(['waypoint', 'generate'], 20_000, noCluster);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  labels:\n    istio.io/waypoint-for: service\n  name: waypoint\nspec:\n  gatewayClassName: istio-waypoint\n  listeners:\n  - name: mesh\n    port: 15008\n    protocol: HBONE\n',
    );
    const json = await runCli(['waypoint', 'generate', '-n', 'apps', '--for', 'all', '-r', 'canary', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).metadata, {
      labels: { 'istio.io/waypoint-for': 'all', 'istio.io/rev': 'canary' },
      name: 'waypoint',
      namespace: 'apps',
    });
  });

  it('stops quietly when its reader goes away (… | head)', async () => {
    const r = await sh(
      `"${process.execPath}" "${CLI}" translate -f "${join(PROJECT_ROOT, 'examples', 'bookinfo')}" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`,
    );
    assert.equal(r.stdout, 'waypoints:\n');
    assert.match(r.stderr, /^status=0\n$/);
  });

  it('a port in use is one line, exit 1', async () => {
    const busy: Server = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await runCli(
        [
          'serve',
          '--config-dir',
          join(PROJECT_ROOT, 'examples', 'bookinfo'),
          '--xds-port',
          '0',
          '--debug-port',
          String(port),
        ],
        20_000,
        noCluster,
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`error: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use\\n$`));
      assert.doesNotMatch(r.stderr, STACK);
    } finally {
      busy.close();
    }
  });

  it('a launcher without a build says to build, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-nobuild-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(CLI, join(dir, 'bin', 'istiod-lite.js'));
      const r = await sh(`"${process.execPath}" "${join(dir, 'bin', 'istiod-lite.js')}" translate`);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'error: istiod-lite is not built: run "npm run build" in the project first\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serve with no cluster and no --config-dir says so instead of serving the bundled example', async () => {
    const r = await runCli(['serve', '--xds-port', '0', '--debug-port', '0'], 20_000, noCluster);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: no Kubernetes cluster configured: set KUBECONFIG, pass --kubeconfig, or create ~\/\.kube\/config; or serve manifests with --config-dir DIR \(the bundled example: --config-dir examples\/bookinfo\)\n$/,
    );
  });

  it('serve takes Go durations and refuses a lease renewed no sooner than it expires', async () => {
    const r = await runCli(['serve', '--lease-duration', '1m', '--lease-renew', '1m30s'], 20_000, noCluster);
    assert.equal(r.code, 64);
    assert.equal(
      r.stderr,
      'error: --lease-renew (1m30s) must be shorter than --lease-duration (1m) (see "istiod-lite serve --help")\n',
    );
  });

  it('analyze and translate read manifests from standard input and from positional paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-stdin-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'apiVersion: v1\nkind: Namespace\nmetadata: [not, a, map]\n');
      const r = await runCli(['analyze', bad], 20_000, noCluster);
      assert.equal(r.code, 65, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: ${bad}:1`));
      const piped = await sh(
        `cat "${join(PROJECT_ROOT, 'examples', 'bookinfo', 'namespace.yaml')}" | "${process.execPath}" "${CLI}" analyze -f - -A`,
        noCluster,
      );
      assert.equal(piped.code, 0, piped.stderr);
      assert.match(piped.stdout, /No validation issues found when analyzing all namespaces/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('version prints the client version, and says so on stderr when no control plane answers', async () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    const local = await runCli(['version', '--remote=false']);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stdout, `client version: ${pkg.version}\n`);
    const away = await runCli(['version', '--xds-address', '127.0.0.1:1', '--timeout', '2s']);
    assert.equal(away.code, 0);
    assert.equal(away.stdout, `client version: ${pkg.version}\n`);
    assert.match(away.stderr, /^warning: no control plane version: /);
  });

  it('completion prints a bash script that completes commands, subcommands and their flags', async () => {
    const r = await runCli(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    const complete = async (line: string) => {
      const words = line.split(' ');
      const s = await sh(
        `${r.stdout}\nCOMP_WORDS=(${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length - 1}; _istiod_lite; echo "\${COMPREPLY[@]}"`,
      );
      return s.stdout.trim().split(' ');
    };
    assert.deepEqual(await complete('istiod-lite way'), ['waypoint']);
    assert.deepEqual(await complete('istiod-lite waypoint del'), ['delete']);
    assert.deepEqual(await complete('istiod-lite x waypoint apply --enr'), ['--enroll-namespace']);
    assert.deepEqual(await complete('istiod-lite analyze --all'), ['--all-namespaces']);
    const bad = await runCli(['completion', 'fish']);
    assert.equal(bad.code, 64);
  });
});

describe('serve: where its configuration comes from', () => {
  it('watches the cluster $KUBECONFIG names when no --config-dir is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-kcenv-'));
    try {
      const kc = join(dir, 'kubeconfig');
      writeFileSync(
        kc,
        'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n',
      );
      const r = await runCli(['serve', '--xds-port', '0', '--debug-port', '0'], 20_000, { KUBECONFIG: kc });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot reach kubernetes http:\/\/127\.0\.0\.1:1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns when it serves no xDS port at all', async () => {
    const served = await startServe(['--config-dir', join(PROJECT_ROOT, 'examples', 'bookinfo'), '--xds-port', 'off']);
    try {
      const warning = served.logs.find((l) => String(l.msg).startsWith('serving no xDS port'));
      assert.ok(warning, 'a warning before it reports serving');
      assert.equal(warning.level, 'warn');
    } finally {
      await served.stop();
    }
  });
});

describe('ztunnel-config -f: a ztunnel config dump', () => {
  it('reads the dump as istioctl does (writer/ztunnel/configdump), with no cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-zdump-'));
    try {
      const file = join(dir, 'dump.json');
      writeFileSync(
        file,
        JSON.stringify({
          services: [
            {
              name: 'reviews',
              namespace: 'shop',
              hostname: 'reviews.shop.svc.cluster.local',
              vips: ['/10.96.0.7'],
              waypoint: { destination: 'shop/waypoint.shop.svc.cluster.local' },
              endpoints: { a: { workloadUid: 'u1' }, b: { workloadUid: 'u2' } },
            },
            {
              name: 'waypoint',
              namespace: 'shop',
              hostname: 'waypoint.shop.svc.cluster.local',
              vips: ['/10.96.0.9'],
              endpoints: {},
            },
          ],
          workloads: [
            {
              uid: 'u1',
              name: 'reviews-1',
              namespace: 'shop',
              workloadIps: ['10.1.0.1'],
              node: 'n1',
              protocol: 'HBONE',
              status: 'Healthy',
              waypoint: { destination: '/10.96.0.9' },
            },
            {
              uid: 'u2',
              name: 'reviews-2',
              namespace: 'shop',
              workloadIps: ['10.1.0.2'],
              node: 'n1',
              protocol: 'TCP',
              status: 'Unhealthy',
            },
          ],
        }),
      );
      const env = { HOME: dir, KUBECONFIG: '' };
      const svc = await runCli(['ztunnel-config', 'service', '-f', file], 20_000, env);
      assert.equal(svc.code, 0, svc.stderr);
      assert.match(svc.stdout, /^shop\s+reviews\s+10\.96\.0\.7\s+waypoint\s+1\/2$/m);
      const wl = await runCli(['ztunnel-config', 'workload', '-f', file], 20_000, env);
      assert.match(wl.stdout, /^shop\s+reviews-1\s+10\.1\.0\.1\s+n1\s+waypoint\s+HBONE$/m);
      assert.match(wl.stdout, /^shop\s+reviews-2\s+10\.1\.0\.2\s+n1\s+None\s+TCP$/m);
      // istioctl policies.go: a dump's policies, sorted by namespace then name, in ztunnel's words.
      const pols = join(dir, 'policies.json');
      writeFileSync(
        pols,
        JSON.stringify({
          policies: [
            { name: 'allow-waypoint', namespace: 'default', action: 'Allow', scope: 'WorkloadSelector', rules: [] },
            { name: 'allow-nothing', namespace: 'default', action: 'Allow', scope: 'Namespace', rules: [] },
          ],
        }),
      );
      const pol = await runCli(['ztunnel-config', 'policy', '-f', pols], 20_000, env);
      assert.equal(pol.code, 0, pol.stderr);
      assert.deepEqual(
        pol.stdout
          .trim()
          .split('\n')
          .map((l) => l.trimEnd().split(/\s+/)),
        [
          ['NAMESPACE', 'POLICY', 'NAME', 'ACTION', 'SCOPE'],
          ['default', 'allow-nothing', 'Allow', 'Namespace'],
          ['default', 'allow-waypoint', 'Allow', 'WorkloadSelector'],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
