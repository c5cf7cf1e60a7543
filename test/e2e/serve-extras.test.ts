import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { TypeUrl } from '../../src/envoy';
import { envoyIncludeDirs } from '../../src/envoy/proto-paths';
import { DeltaClient } from '../support/xds-client';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';

const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => existsSync(p));

describe('serve: TLS port, proxy mapping, debug endpoints', () => {
  let dir: string;
  let served: Served;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-tls-'));
    const args = ['--config-dir', join(PROJECT_ROOT, 'examples', 'bookinfo')];
    if (OPENSSL) {
      execFileSync(
        OPENSSL,
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      args.push(
        '--xds-tls-port',
        '0',
        '--tls-cert-file',
        join(dir, 'cert.pem'),
        '--tls-key-file',
        join(dir, 'key.pem'),
      );
    }
    served = await startServe(args);
  });
  after(async () => {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'serves ADS over TLS with the certificate from the files',
    { skip: !OPENSSL && 'openssl not installed' },
    async () => {
      const tlsPort = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
      assert.ok(tlsPort > 0);
      const def = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
        keepCase: true,
        defaults: true,
        oneofs: true,
        includeDirs: envoyIncludeDirs(),
      });
      const Ads = (
        grpc.loadPackageDefinition(def) as unknown as {
          envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: typeof grpc.Client } } } };
        }
      ).envoy.service.discovery.v3.AggregatedDiscoveryService;
      const client = new Ads(`localhost:${tlsPort}`, grpc.credentials.createSsl(readFileSync(join(dir, 'cert.pem'))));
      const call = (
        client as unknown as {
          StreamAggregatedResources(): grpc.ClientDuplexStream<unknown, { resources: unknown[]; type_url: string }>;
        }
      ).StreamAggregatedResources();
      try {
        const got = new Promise<{ resources: unknown[]; type_url: string }>((resolve, reject) => {
          call.on('data', resolve);
          call.on('error', reject);
        });
        call.write({
          node: { id: 'waypoint~10.42.2.9~waypoint-6f7b665c89-6hppr.default~default.svc.cluster.local' },
          type_url: TypeUrl.Listener,
          resource_names: [],
        });
        const r = await got;
        assert.equal(r.resources.length, 3);
      } finally {
        call.cancel();
        client.close();
      }
    },
  );

  it('maps a proxy by pod-name prefix when labels are missing, and serves an unknown proxy nothing', async () => {
    const byPrefix = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'waypoint~10.42.0.11~reviews-v2-pod-waypoint-7f5dbd597-7zzw7.default~default.svc.cluster.local',
    });
    const unknown = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'waypoint~10.9.9.9~nobody-5d8f9c7b6-abcde.default~default.svc.cluster.local',
    });
    try {
      byPrefix.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      unknown.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      assert.deepEqual((await byPrefix.next()).resources.map((r) => r.name).sort(), [
        'connect_originate',
        'encap',
        'main_internal',
      ]);
      assert.deepEqual((await unknown.next()).resources, []);
      const adsz = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug/adsz`)).json()) as {
        clients: { proxy: string; key: string | null }[];
      };
      const keys = Object.fromEntries(adsz.clients.map((c) => [c.proxy, c.key]));
      assert.equal(keys['reviews-v2-pod-waypoint-7f5dbd597-7zzw7.default'], 'default/reviews-v2-pod-waypoint');
      assert.equal(keys['nobody-5d8f9c7b6-abcde.default'], null);
      assert.ok(served.logs.some((l) => l.msg === 'proxy matches no waypoint; serving it nothing'));
    } finally {
      byPrefix.close();
      unknown.close();
    }
  });

  it('explains every binding at /debug/ambientz and lists endpoints at /debug', async () => {
    const amb = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug/ambientz`)).json()) as {
      bindings: { object: string; waypoint: string | null }[];
    };
    assert.equal(
      amb.bindings.find((b) => b.object === 'Service/default/reviews')?.waypoint,
      'default/reviews-svc-waypoint',
    );
    const index = (await (await fetch(`http://127.0.0.1:${served.debugPort}/debug`)).json()) as { path: string }[];
    assert.deepEqual(
      index.map((e) => e.path),
      ['/ready', '/metrics', '/debug/syncz', '/debug/adsz', '/debug/config_dump', '/debug/ambientz'],
    );
    const missing = await fetch(`http://127.0.0.1:${served.debugPort}/debug/config_dump`);
    assert.equal(missing.status, 400);
  });
});
