// The same routing, executed by an independent implementation: gRPC C-core
// through Debian's python3-grpcio. Skips when it is not installed.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEcho } from '../support/echo-backend';
import { proxylessBootstrap, proxylessManifests } from '../support/proxyless-fixture';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';

const PYTHON = '/usr/bin/python3';
const hasGrpc = spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;

describe(
  'proxyless routing through gRPC C-core (python3-grpcio)',
  { skip: !hasGrpc && 'python3-grpcio not installed' },
  () => {
    let dir: string;
    let served: Served;
    let v1: Awaited<ReturnType<typeof startEcho>>;
    let v2: Awaited<ReturnType<typeof startEcho>>;
    before(async () => {
      v1 = await startEcho('v1');
      v2 = await startEcho('v2');
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-pygrpc-'));
      writeFileSync(join(dir, 'app.yaml'), proxylessManifests(v1.port, v2.port));
      served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
    });
    after(async () => {
      await served?.stop();
      await v1?.close();
      await v2?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    // Asynchronous on purpose: the backends live in this process and must keep answering.
    function calls(count: number, ...headers: string[]): Promise<string[]> {
      const bootstrap = proxylessBootstrap(served.xdsPort, 'py-client');
      return new Promise((resolve, reject) => {
        const p = spawn(
          PYTHON,
          [
            join(PROJECT_ROOT, 'test', 'python', 'xds_client.py'),
            'xds:///echo.app.svc.cluster.local:7000',
            String(count),
            ...headers,
          ],
          {
            env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap },
          },
        );
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
        p.on('exit', (code) => {
          clearTimeout(t);
          if (code === 0) resolve(out.trim().split('\n'));
          else reject(new Error(`python client exited ${code}: ${err.slice(-1500)}`));
        });
      });
    }

    it('routes by header and splits 90/10, as grpc-js does', async () => {
      assert.deepEqual(await calls(5, 'x-variant=b'), ['v2', 'v2', 'v2', 'v2', 'v2']);
      const got = await calls(300);
      const v2Count = got.filter((x) => x === 'v2').length;
      assert.equal(got.length, 300);
      assert.ok(v2Count >= 10 && v2Count <= 55, `v2 got ${v2Count} of 300`);
    });
  },
);
