// SDS over ADS from a directory of manifests (sds.go: SecretGen.Generate):
// a SotW waypoint authenticated on the TLS port gets the credentials its
// DestinationRule names, an edited Secret file is pushed, a Secret that
// appears later reaches a client already asking for it, and a stream that
// proved no identity gets no answer at all.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { TypeUrl } from '../../src/envoy';
import { LABEL } from '../../src/model';
import { startPipeline, type Pipeline } from '../../src/server/pipeline';
import { proxyAccess } from '../../src/server/proxy-auth';
import { tlsCredentials } from '../../src/server/tls';
import { withBearer } from '../../src/cli/xds-query';
import { SnapshotCache, TokenReviewAuthenticator } from '../../src/xds';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { adsChannel, SotwClient, unpack, type SotwResponse } from '../support/xds-client';
import { startXds } from '../support/xds-harness';

const NODE = {
  id: 'waypoint~10.0.0.1~waypoint-5d8f-abcde.app~app.svc.cluster.local',
  metadata: { NAMESPACE: 'app', LABELS: { [LABEL.gatewayName]: 'waypoint' } },
};
const CRED = 'kubernetes://client-tls';
const CRED_CA = 'kubernetes://client-tls-cacert';
const LATE = 'kubernetes://late-cacert';

const MESH = `
apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: app}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: app}
spec:
  clusterIP: 10.96.0.60
  ports: [{name: https, port: 443, targetPort: 8443, appProtocol: http}, {name: late, port: 8443, appProtocol: http}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: backend, namespace: app}
spec:
  host: backend
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: client-tls}
    portLevelSettings:
    - port: {number: 8443}
      tls: {mode: SIMPLE, credentialName: late}
`;

const secret = (key: string) => `
apiVersion: v1
kind: Secret
metadata: {name: client-tls, namespace: app}
type: kubernetes.io/tls
stringData:
  tls.crt: chain
  tls.key: ${key}
  ca.crt: roots
`;

type SecretMsg = {
  name: string;
  tls_certificate?: { private_key?: { inline_bytes?: Buffer } };
  validation_context?: { trusted_ca?: { inline_bytes?: Buffer } };
};
const secretsOf = (r: SotwResponse) => new Map(r.resources.map((a) => unpack<SecretMsg>(a)).map((s) => [s.name, s]));

describe('SDS from manifests over SotW', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let dir: string;
  let ca: TestCa;
  let pipeline: Pipeline;
  let x: Awaited<ReturnType<typeof startXds>>;
  let tlsAddress: string;
  const closers: (() => void)[] = [];

  function client(address: string, token?: string): SotwClient {
    const ch = token
      ? adsChannel(address, withBearer(grpc.credentials.createSsl(ca.read(ca.caFile)), token), {
          'grpc.ssl_target_name_override': 'localhost',
          'grpc.use_local_subchannel_pool': 1,
        })
      : adsChannel(address);
    const c = new SotwClient(address, NODE, undefined, ch);
    closers.push(() => {
      c.close();
      ch.close();
    });
    return c;
  }

  /** The next response of `type`, ACKing every response on the way. */
  async function nextOf(c: SotwClient, type: string): Promise<SotwResponse> {
    for (;;) {
      const r = await c.next(10_000);
      c.ack(r);
      if (r.type_url === type) return r;
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-sds-'));
    writeFileSync(join(dir, 'mesh.yaml'), MESH);
    writeFileSync(join(dir, 'secret.yaml'), secret('key-one'));
    ca = makeCa();
    const server = ca.issue('server', ['DNS:localhost', 'IP:127.0.0.1']);
    const cache = new SnapshotCache();
    pipeline = await startPipeline({ configDir: dir }, cache, pino({ level: 'silent' }));
    x = await startXds({
      cache,
      proxyKey: pipeline.proxyKey,
      onDemand: (key) => pipeline.demand(key),
      access: proxyAccess('istio-system'),
    });
    const port = await x.server.listen(
      '127.0.0.1:0',
      tlsCredentials({ certFile: server.cert, keyFile: server.key, caFile: ca.caFile }),
      {
        authenticators: [
          new TokenReviewAuthenticator(
            (t) =>
              Promise.resolve(
                t === 'app-waypoint'
                  ? {
                      authenticated: true,
                      user: { username: 'system:serviceaccount:app:waypoint' },
                      audiences: ['istio-ca'],
                    }
                  : { authenticated: false, error: 'invalid bearer token' },
              ),
            { audiences: ['istio-ca'], trustDomain: 'cluster.local' },
          ),
        ],
      },
    );
    tlsAddress = `127.0.0.1:${port}`;
  });
  after(async () => {
    for (const close of closers) close();
    await x.close();
    await pipeline.stop();
    ca.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the named credentials, pushes an edited Secret, and a Secret that appears later', async () => {
    const c = client(tlsAddress, 'app-waypoint');
    c.send({ type_url: TypeUrl.Secret, resource_names: [CRED, CRED_CA, LATE] });
    const first = secretsOf(await nextOf(c, TypeUrl.Secret));
    assert.deepEqual([...first.keys()].sort(), [CRED, CRED_CA]);
    assert.equal(String(first.get(CRED)?.tls_certificate?.private_key?.inline_bytes), 'key-one');
    assert.equal(String(first.get(CRED_CA)?.validation_context?.trusted_ca?.inline_bytes), 'roots');

    writeFileSync(join(dir, 'secret.yaml'), secret('key-two'));
    const edited = secretsOf(await nextOf(c, TypeUrl.Secret));
    assert.deepEqual([...edited.keys()], [CRED], 'only the changed secret is sent again');
    assert.equal(String(edited.get(CRED)?.tls_certificate?.private_key?.inline_bytes), 'key-two');

    writeFileSync(
      join(dir, 'late.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata: {name: late, namespace: app}\nstringData: {cacert: late-roots}\n',
    );
    const late = secretsOf(await nextOf(c, TypeUrl.Secret));
    assert.equal(String(late.get(LATE)?.validation_context?.trusted_ca?.inline_bytes), 'late-roots');
  });

  it('answers no SDS request from a stream that proved no identity, and says why', async () => {
    const c = client(x.address);
    c.send({ type_url: TypeUrl.Secret, resource_names: [CRED] });
    // Responses keep the order of requests: an answer to the SDS request would come first.
    c.send({ type_url: TypeUrl.Cluster, resource_names: [] });
    const clusters = await c.next();
    assert.equal(clusters.type_url, TypeUrl.Cluster, 'the rest of its configuration is served');
    assert.ok(x.logs.some((l) => /credentials are sent only to authenticated proxies/.test(l.msg)));
  });
});
