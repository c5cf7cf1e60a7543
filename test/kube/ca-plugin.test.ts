// A plug-in CA, as istiod takes one from the cacerts Secret (or ROOT_CA_DIR):
// an intermediate made with openssl signs the workload certificates, the
// chain goes out with it, and a root rotation keeps both roots trusted
// while the old intermediate's certificates are still in use
// (pilot/pkg/bootstrap/istio_ca.go: createIstioCA, detectSigningCABundleAndCRL,
// handleEvent; security/pkg/pki/ca/ca.go: NewPluggedCertIstioCAOptions).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPENSSL } from '../support/certs';
import { CaClient, makeCsr, opensslVerify, opensslX509, readText } from '../support/ca-client';
import { PROJECT_ROOT, startServe, type Served } from '../e2e/serve-process';
import { startKubeServer, type KubeServer, type TokenReviewResult } from './server';
import { until } from '../support/until';

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL!, args, { cwd: dir, stdio: 'ignore' });
}

/** A root and an intermediate under it, laid out as the cacerts files (istio's tools/certs Makefile layout). */
function pluginCa(dir: string, name: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  writeFileSync(
    join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n',
  );
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    `/O=${name} root`,
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
  ]);
  openssl(dir, ['req', ...ec, '-subj', `/O=${name} intermediate`, '-keyout', 'ca-key.pem', '-out', 'ca.csr']);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'ca.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-set_serial',
    '7',
    '-days',
    '1',
    '-extfile',
    'ca.ext',
    '-out',
    'ca-cert.pem',
  ]);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    'ca-cert.pem': read('ca-cert.pem'),
    'ca-key.pem': read('ca-key.pem'),
    'root-cert.pem': read('root.pem'),
    'cert-chain.pem': read('ca-cert.pem') + read('root.pem'),
  };
}

function secretOf(files: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cacerts', namespace: 'istio-system' },
    data: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

const tokenReview = (token: string): TokenReviewResult =>
  token === 'app-token'
    ? { authenticated: true, user: { username: 'system:serviceaccount:shop:app' }, audiences: ['istio-ca'] }
    : { authenticated: false, error: 'invalid bearer token' };

describe(
  'a plug-in CA from the cacerts Secret, and its rotation',
  { skip: !OPENSSL && 'openssl not installed' },
  () => {
    let srv: KubeServer;
    let dir: string;
    let served: Served;
    let port: number;
    let first: Record<string, string>;
    const clients: CaClient[] = [];
    const rootOf = (ns: string) =>
      (srv.get('v1', 'ConfigMap', ns, 'istio-ca-root-cert')?.data as Record<string, string> | undefined)?.[
        'root-cert.pem'
      ];

    before(async () => {
      srv = await startKubeServer({ tokenReview });
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-plugin-'));
      for (const ns of ['istio-system', 'shop'])
        srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      first = pluginCa(join(dir, 'one'), 'one');
      srv.put(secretOf(first));
      const kc = srv.writeKubeconfig(dir);
      served = await startServe(
        ['--kubeconfig', kc, '--ca', 'on', '--xds-tls-port', '0', '--ca-reload', '200ms'],
        30_000,
      );
      port = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
    });
    after(async () => {
      for (const c of clients) c.close();
      await served?.stop();
      await srv?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function issue(name: string, root: string): Promise<string[]> {
      const c = new CaClient({ port, rootPem: root, token: 'app-token' });
      clients.push(c);
      return c.create(readText(makeCsr(dir, name).csr));
    }

    let oldLeaf: string[];

    it('signs with the intermediate, sends the chain, and publishes the plug-in root', async () => {
      assert.equal(
        served.logs.find((l) => l.msg === 'certificate authority ready')?.source,
        'Secret istio-system/cacerts',
      );
      const root = await until(() => rootOf('shop'), 'root ConfigMap', 10_000);
      assert.equal(root, first['root-cert.pem']);
      // No istio-ca-secret is made when a plug-in CA is given.
      assert.equal(srv.get('v1', 'Secret', 'istio-system', 'istio-ca-secret'), undefined);
      oldLeaf = await issue('one', root);
      // leaf, then cert-chain.pem one certificate per entry, then the roots.
      assert.equal(oldLeaf.length, 4);
      assert.equal(oldLeaf[1], first['ca-cert.pem']);
      assert.equal(oldLeaf[3], first['root-cert.pem']);
      assert.match(opensslX509(dir, oldLeaf[0]!, ['-issuer']), /one intermediate/);
      const v = opensslVerify(dir, oldLeaf, root);
      assert.ok(v.ok, v.out);
      assert.match(
        opensslX509(dir, oldLeaf[0]!, ['-ext', 'subjectAltName']),
        /URI:spiffe:\/\/cluster\.local\/ns\/shop\/sa\/app/,
      );
    });

    it('keeps signing with the current CA when the Secret is changed to a key that does not match', async () => {
      const second = pluginCa(join(dir, 'bad'), 'bad');
      srv.put(secretOf({ ...first, 'ca-key.pem': second['ca-key.pem']! }));
      await until(
        () => served.logs.find((l) => l.msg === 'CA bundle could not be reloaded; keeping the current one'),
        'reload refusal',
        10_000,
      );
      const line = served.logs.find((l) => l.msg === 'CA bundle could not be reloaded; keeping the current one')!;
      assert.match(String(line.error), /signing key does not match/);
      const chain = await issue('still-one', first['root-cert.pem']!);
      assert.ok(opensslVerify(dir, chain, first['root-cert.pem']!).ok);
    });

    it('rotates to a new root with both roots trusted during the overlap', async () => {
      const second = pluginCa(join(dir, 'two'), 'two');
      // istio's documented rotation: the new intermediate, and a root bundle holding both roots.
      const overlap = second['root-cert.pem']! + first['root-cert.pem']!;
      srv.put(secretOf({ ...second, 'root-cert.pem': overlap }));
      const bundle = await until(() => (rootOf('shop') === overlap ? overlap : undefined), 'rotated roots', 10_000);
      assert.equal(bundle, overlap);
      const fresh = await issue('two', bundle);
      assert.match(opensslX509(dir, fresh[0]!, ['-issuer']), /two intermediate/);
      assert.equal(fresh[fresh.length - 1], overlap);
      // Old and new workload certificates both verify against the published bundle.
      for (const chain of [fresh, oldLeaf]) {
        const v = opensslVerify(dir, chain, bundle);
        assert.ok(v.ok, v.out);
      }
      assert.doesNotMatch(JSON.stringify(served.logs), /PRIVATE KEY/);
    });

    it('takes the kubernetes.io/tls layout (tls.crt, tls.key, ca.crt), and names what an incomplete one lacks', async () => {
      const previous = rootOf('shop')!;
      const third = pluginCa(join(dir, 'three'), 'three');
      const tls = {
        'tls.crt': third['ca-cert.pem']!,
        'tls.key': third['ca-key.pem']!,
        'ca.crt': third['root-cert.pem']!,
      };
      // tls.crt without its key: refused, the current CA kept (istio_ca.go picks this layout once tls.crt exists).
      srv.put(secretOf({ 'tls.crt': tls['tls.crt'], 'ca.crt': tls['ca.crt'] }));
      const refused = await until(
        () =>
          served.logs.find(
            (l) =>
              l.msg === 'CA bundle could not be reloaded; keeping the current one' && /tls\.key/.test(String(l.error)),
          ),
        'refusal of an incomplete tls layout',
        10_000,
      );
      assert.match(String(refused.error), /Secret istio-system\/cacerts has tls\.crt but no tls\.key/);
      srv.put({ ...secretOf(tls), type: 'kubernetes.io/tls' });
      const root = await until(
        () => (rootOf('shop') === tls['ca.crt'] ? tls['ca.crt'] : undefined),
        'the tls layout root',
        10_000,
      );
      // The serving certificate moves to the new CA at the port's next refresh: trust the old roots too meanwhile.
      const chain = await issue('three', root + previous);
      assert.match(opensslX509(dir, chain[0]!, ['-issuer']), /three intermediate/);
      // istiod's chain for this layout: tls.crt then ca.crt, then the roots.
      assert.deepEqual(chain.slice(1), [tls['tls.crt'], tls['ca.crt'], tls['ca.crt']]);
      const v = opensslVerify(dir, chain, root);
      assert.ok(v.ok, v.out);
    });
  },
);

describe('a plug-in CA from --cacerts-dir, without a cluster', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let dir: string;
  let served: Served;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-cadir-'));
    const files = pluginCa(join(dir, 'ca'), 'dir');
    const cacerts = join(dir, 'cacerts');
    mkdirSync(cacerts);
    for (const [k, v] of Object.entries(files)) writeFileSync(join(cacerts, k), v);
    served = await startServe(
      ['--config-dir', join(PROJECT_ROOT, 'examples', 'bookinfo'), '--cacerts-dir', cacerts, '--xds-tls-port', '0'],
      30_000,
    );
  });
  after(async () => {
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the certificate service to a workload holding a certificate from that CA', async () => {
    const port = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
    const root = readFileSync(join(dir, 'cacerts', 'root-cert.pem'), 'utf8');
    // The first certificate comes from the CA's operator (here: openssl with the intermediate).
    const ca = join(dir, 'ca');
    openssl(ca, [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/O=w',
      '-keyout',
      'w.key',
      '-out',
      'w.csr',
    ]);
    writeFileSync(
      join(ca, 'w.ext'),
      'subjectAltName=URI:spiffe://cluster.local/ns/shop/sa/app\nextendedKeyUsage=clientAuth\n',
    );
    openssl(ca, [
      'x509',
      '-req',
      '-in',
      'w.csr',
      '-CA',
      'ca-cert.pem',
      '-CAkey',
      'ca-key.pem',
      '-set_serial',
      '9',
      '-days',
      '1',
      '-extfile',
      'w.ext',
      '-out',
      'w.pem',
    ]);
    const c = new CaClient({
      port,
      rootPem: root,
      clientCert: {
        cert: Buffer.from(readText(join(ca, 'w.pem')) + readText(join(ca, 'ca-cert.pem'))),
        key: readFileSync(join(ca, 'w.key')),
      },
    });
    try {
      const chain = await c.create(readText(makeCsr(dir, 'renew').csr));
      const v = opensslVerify(dir, chain, root);
      assert.ok(v.ok, v.out);
      assert.match(opensslX509(dir, chain[0]!, ['-ext', 'subjectAltName']), /sa\/app/);
    } finally {
      c.close();
    }
  });
});
