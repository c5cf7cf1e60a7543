// The CA's decisions without a server: lifetimes (security/pkg/pki/ca/ca.go:
// sign, minTTL), bundle checks (keycertbundle.go: NewVerifiedKeyCertBundleFromPem),
// and the node authorizer (security/pkg/server/ca/node_auth.go:
// authenticateImpersonation). Certificates are read back with node:crypto.
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CaError, CertificateAuthority, loadBundle } from '../../src/ca/authority';
import { NodeAuthorizer, parseTrustedAccounts } from '../../src/ca/node-authorizer';
import { directoryRoots, ephemeralRoots } from '../../src/ca/roots';
import { RunningCa } from '../../src/ca/setup';
import pino from 'pino';
import { createSelfSignedRoot, newKeyAndCsr } from '../../src/ca/x509';
import { waypointObjects } from '../../src/controller/waypoint-objects';
import { applyChanges, EMPTY_WORLD, type Gateway, type KubeObject } from '../../src/model';
import type { Identity } from '../../src/xds/auth';

const HOUR = 3600_000;

async function authority(now: () => number, rootTtlMs = 10 * 24 * HOUR) {
  const root = await createSelfSignedRoot('cluster.local', rootTtlMs, now());
  const loaded = await loadBundle(
    { signingCert: root.cert, signingKey: root.key, certChain: '', rootCerts: root.cert },
    'test root',
  );
  return { root, ca: new CertificateAuthority(loaded, { defaultTtlMs: 24 * HOUR, maxTtlMs: 90 * 24 * HOUR, now }) };
}

describe('CertificateAuthority (ca.go: sign)', () => {
  it('signs a leaf naming only the given identity, verifiable with the root, for the default 24 h', async () => {
    const { root, ca } = await authority(Date.now);
    const { csr } = await newKeyAndCsr();
    const chain = await ca.sign(csr, { uris: ['spiffe://cluster.local/ns/a/sa/b'] }, 0);
    assert.equal(chain.length, 2);
    const leaf = new X509Certificate(chain[0]!);
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/a/sa/b');
    assert.ok(leaf.verify(new X509Certificate(root.cert).publicKey));
    assert.equal(leaf.ca, false);
    const life = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
    assert.ok(Math.abs(life - 24 * HOUR - 2 * 60_000) < 2_000, String(life));
  });

  it('refuses a TTL over the maximum and clamps a leaf to the signing certificate', async () => {
    const { ca } = await authority(Date.now, 2 * HOUR);
    const { csr } = await newKeyAndCsr();
    await assert.rejects(ca.sign(csr, { uris: ['spiffe://x/ns/a/sa/b'] }, 91 * 24 * HOUR), (e: CaError) => {
      assert.equal(e.kind, 'ttl');
      return true;
    });
    // The default (24 h) is cut to the root's remaining two hours (minTTL).
    const leaf = new X509Certificate((await ca.sign(csr, { uris: ['spiffe://x/ns/a/sa/b'] }, 0))[0]!);
    assert.ok(Date.parse(leaf.validTo) <= ca.signingCertNotAfter);
  });

  it('refuses a CSR that is not one, naming the problem', async () => {
    const { ca } = await authority(Date.now);
    await assert.rejects(ca.sign('not a csr', { uris: ['spiffe://x/ns/a/sa/b'] }, 0), (e: CaError) => {
      assert.equal(e.kind, 'csr');
      return true;
    });
  });

  it('refuses a bundle whose key is not the certificate’s, without quoting the key', async () => {
    const a = await ephemeralRoots('cluster.local');
    const b = await ephemeralRoots('cluster.local');
    await assert.rejects(loadBundle({ ...a.bundle, signingKey: b.bundle.signingKey }, 'cacerts'), (e: Error) => {
      assert.match(e.message, /^cacerts: the signing key does not match/);
      assert.doesNotMatch(e.message, /PRIVATE KEY/);
      return true;
    });
    await assert.rejects(loadBundle({ ...a.bundle, rootCerts: b.bundle.rootCerts }, 'cacerts'), /does not chain/);
  });
});

describe('NodeAuthorizer (node_auth.go: authenticateImpersonation)', () => {
  const pod = (ns: string, name: string, sa: string, node: string, uid: string, phase = 'Running') =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, uid },
      spec: { serviceAccountName: sa, nodeName: node },
      status: { phase },
    }) as KubeObject;
  const world = applyChanges(
    EMPTY_WORLD,
    [
      pod('istio-system', 'zt', 'ztunnel', 'n1', 'u1'),
      pod('app', 'web', 'web', 'n1', 'u2'),
      pod('app', 'db', 'db', 'n2', 'u3'),
      pod('app', 'gone', 'old', 'n1', 'u4', 'Failed'),
    ].map((o) => ({ op: 'upsert' as const, object: o })),
  ).world;
  const auth = new NodeAuthorizer(parseTrustedAccounts('istio-system/ztunnel'));
  auth.update(world);
  const zt: Identity = {
    trustDomain: 'cluster.local',
    namespace: 'istio-system',
    serviceAccount: 'ztunnel',
    via: 'token',
    pod: { name: 'zt', uid: 'u1' },
  };

  it('allows a pod identity on the caller’s node, and nothing else', () => {
    assert.equal(auth.check(zt, 'spiffe://cluster.local/ns/app/sa/web'), undefined);
    assert.match(auth.check(zt, 'spiffe://cluster.local/ns/app/sa/db')!, /no instances of app\/db found on node n1/);
    assert.match(
      auth.check(zt, 'spiffe://cluster.local/ns/app/sa/old')!,
      /no instances/,
      'a Failed pod does not count',
    );
    assert.match(
      auth.check({ ...zt, pod: undefined }, 'spiffe://cluster.local/ns/app/sa/web')!,
      /did not prove its pod/,
    );
    assert.match(
      auth.check({ ...zt, serviceAccount: 'web', namespace: 'app' }, 'spiffe://cluster.local/ns/app/sa/db')!,
      /not allowed/,
    );
    assert.match(auth.check(zt, 'not-spiffe')!, /not a SPIFFE identity/);
  });

  it('rejects a malformed trusted account', () => {
    assert.throws(() => parseTrustedAccounts('ztunnel'), /not namespace\/serviceaccount/);
    assert.equal(parseTrustedAccounts('').size, 0);
  });
});

describe('waypoint Deployments', () => {
  it('point CA_ADDR at the given CA address, else at the discovery address', () => {
    const gw = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'default', uid: 'g' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [] },
    } as unknown as Gateway;
    const caAddr = (objs: KubeObject[]) => {
      const d = objs.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } };
      };
      return d.spec.template.spec.containers[0]!.env.find((e) => e.name === 'CA_ADDR')?.value;
    };
    assert.equal(caAddr(waypointObjects(gw, { image: 'i', discoveryAddress: 'lite:15012' })), 'lite:15012');
    assert.equal(
      caAddr(
        waypointObjects(gw, { image: 'i', discoveryAddress: 'lite:15012', caAddress: 'istiod.istio-system.svc:15012' }),
      ),
      'istiod.istio-system.svc:15012',
    );
  });
});

describe('RunningCa: the TLS port credentials', () => {
  it('serves its own certificate for the given DNS names, or the given files re-read on every refresh', async () => {
    const ca = await RunningCa.start({
      namespace: 'istio-system',
      trustDomain: 'cluster.local',
      defaultTtlMs: 24 * HOUR,
      maxTtlMs: 90 * 24 * HOUR,
      trustedNodeAccounts: new Set(),
      servingDnsNames: ['istiod-lite.istio-system.svc'],
      log: pino({ level: 'silent' }),
    });
    try {
      const own = ca.tlsSource()();
      const leaf = new X509Certificate(String(own.cert));
      assert.equal(leaf.subjectAltName, 'DNS:istiod-lite.istio-system.svc');
      assert.ok(leaf.verify(new X509Certificate(ca.authority.rootCerts).publicKey));
      assert.equal(own.ca, ca.authority.rootCerts);
      let n = 0;
      const source = ca.tlsSource(() => ({ cert: `cert-${++n}`, key: 'key', ca: 'extra-ca\n' }));
      assert.equal(source().cert, 'cert-1');
      assert.equal(source().cert, 'cert-2', 'the files are read again');
      assert.equal(source().ca, ca.authority.rootCerts + 'extra-ca\n');
    } finally {
      ca.stop();
    }
  });
});

describe('a plug-in CA directory in the kubernetes.io/tls layout (istio_ca.go: detectSigningCABundleAndCRL)', () => {
  it('signs with tls.crt/tls.key under the ca.crt root, and names a missing tls.key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-tls-layout-'));
    try {
      // A self-signed root used directly as the signing CA: tls.crt and ca.crt are the same certificate.
      const root = await createSelfSignedRoot('cluster.local', 3600_000);
      writeFileSync(join(dir, 'tls.crt'), root.cert);
      writeFileSync(join(dir, 'ca.crt'), root.cert);
      assert.throws(() => directoryRoots(dir), /--cacerts-dir .*: has tls\.crt but no tls\.key/);
      writeFileSync(join(dir, 'tls.key'), root.key);
      const loaded = directoryRoots(dir);
      assert.equal(loaded.bundle.rootCerts.trim(), root.cert.trim());
      assert.equal(loaded.bundle.certChain, root.cert + root.cert);
      const ca = new CertificateAuthority(await loadBundle(loaded.bundle, loaded.source), {
        defaultTtlMs: 3600_000,
        maxTtlMs: 7200_000,
      });
      const { csr } = await newKeyAndCsr();
      const chain = await ca.sign(csr, { uris: ['spiffe://cluster.local/ns/a/sa/b'] }, 0);
      assert.ok(new X509Certificate(chain[0]!).verify(new X509Certificate(root.cert).publicKey));
      assert.equal(chain.at(-1)!.trim(), root.cert.trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
