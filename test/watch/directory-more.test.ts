import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { list, type World } from '../../src/model';
import { DirectorySource } from '../../src/watch/directory';
import { ConfigStore } from '../../src/watch/store';
import { until } from './poll';

const route = (name: string, backend: string, ns = '') =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  parentRefs:\n  - {group: "", kind: Service, name: reviews}\n  rules:\n  - backendRefs:\n    - {name: ${backend}, port: 9080}\n`;

describe('manifest directory source: errors as values, defaults, reloads', () => {
  let dir: string;
  let src: DirectorySource | undefined;
  let world: World;
  const backend = (name: string) =>
    list(world, 'HTTPRoute').find((r) => r.metadata.name === name)?.spec?.rules?.[0]?.backendRefs?.[0]?.name;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-dir2-'));
  });
  afterEach(async () => {
    await src?.stop();
    src = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  async function start(opts: { pollMs?: number } = {}) {
    const store = new ConfigStore();
    store.subscribe((w) => (world = w));
    src = new DirectorySource(dir, { settleMs: 10, ...opts });
    store.attach(src);
    await src.start();
    store.flush();
    return src;
  }

  it('puts namespaced objects without a namespace in default', async () => {
    writeFileSync(join(dir, 'r.yaml'), route('reviews', 'reviews-v1'));
    await start();
    assert.equal(list(world, 'HTTPRoute')[0]?.metadata.namespace, 'default');
  });

  it('reads Node manifests as cluster-scoped objects keeping only name and labels', async () => {
    writeFileSync(
      join(dir, 'nodes.yaml'),
      'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  namespace: ignored\n  uid: u1\n  labels: {topology.kubernetes.io/zone: z1}\nspec:\n  podCIDR: 10.0.0.0/24\nstatus:\n  capacity: {cpu: "8"}\n',
    );
    await start();
    assert.deepEqual(list(world, 'Node'), [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } },
    ]);
  });

  it('reports each bad document as a value with file, line, kind and name', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        route('good', 'reviews-v1'),
        'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: wp\nspec:\n  gatewayClassName: istio-waypoint\n  listeners:\n  - {name: mesh, port: "15008", protocol: HBONE}\n',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: x\n',
      ].join('---\n'),
    );
    await start();
    assert.deepEqual(
      list(world, 'HTTPRoute').map((r) => r.metadata.name),
      ['good'],
    );
    assert.deepEqual(
      src!.errors().map(({ file, line, kind, name, message }) => ({ file, line, kind, name, message })),
      [
        {
          file: 'bad.yaml',
          line: 12,
          kind: 'Gateway',
          name: 'wp',
          message: 'spec.listeners[0].port: must be an integer port (1-65535)',
        },
        { file: 'bad.yaml', line: 21, kind: 'Widget', name: 'w', message: 'unknown kind Widget (example.com/v1)' },
      ],
    );
  });

  it('gives each item of a JSON List its own line', async () => {
    const items = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'a' }, spec: { ports: [{ port: 0 }] } },
    ];
    writeFileSync(join(dir, 'list.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2));
    await start();
    assert.equal(list(world, 'Namespace').length, 1);
    const [e] = src!.errors();
    assert.deepEqual(e && { file: e.file, line: e.line, kind: e.kind, name: e.name }, {
      file: 'list.json',
      line: 12,
      kind: 'Service',
      name: 's',
    });
  });

  it('names both places of a duplicate and keeps the first in path order', async () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'r.yaml'), route('reviews', 'from-b'));
    writeFileSync(join(dir, 'a', 'r.yaml'), `# leading comment\n${route('reviews', 'from-a')}`);
    await start();
    assert.equal(backend('reviews'), 'from-a');
    const errs = src!.errors();
    assert.equal(errs.length, 1);
    assert.equal(errs[0]?.file, join('b', 'r.yaml'));
    assert.equal(errs[0]?.line, 1);
    assert.match(errs[0]?.message ?? '', new RegExp(`same object as ${join('a', 'r.yaml')}:2`));
  });

  it('keeps the last good version of an object whose document turns bad, with the error reported', async () => {
    writeFileSync(join(dir, 'r.yaml'), `${route('reviews', 'reviews-v1')}---\n${route('ratings', 'ratings-v1')}`);
    await start();
    writeFileSync(
      join(dir, 'r.yaml'),
      `${route('reviews', 'reviews-v1').replace('port: 9080', 'port: 0')}---\n${route('ratings', 'ratings-v2')}`,
    );
    await until(() => backend('ratings') === 'ratings-v2', 'the good document reloaded');
    assert.equal(backend('reviews'), 'reviews-v1');
    assert.deepEqual(
      src!.errors().map((e) => [e.kind, e.name, e.line]),
      [['HTTPRoute', 'reviews', 1]],
    );
  });

  it('follows files in subdirectories created after start, and their removal', async () => {
    await start();
    mkdirSync(join(dir, 'team', 'routes'), { recursive: true });
    writeFileSync(join(dir, 'team', 'routes', 'r.yml'), route('reviews', 'reviews-v3', 'team'));
    await until(() => backend('reviews') === 'reviews-v3', 'new nested file loaded');
    rmSync(join(dir, 'team'), { recursive: true });
    await until(() => backend('reviews') === undefined, 'removed directory unloaded');
  });

  it('polls when asked to', async () => {
    await start({ pollMs: 20 });
    writeFileSync(join(dir, 'r.yaml'), route('reviews', 'reviews-v2'));
    await until(() => backend('reviews') === 'reviews-v2', 'picked up');
  });
});
