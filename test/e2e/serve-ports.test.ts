// The plaintext xDS port trusts whoever reaches it, so serve binds it to
// loopback unless --xds-address says otherwise (as --debug-address does for
// the debug port). istiod listens on :15010 on every interface
// (pilot/cmd/pilot-discovery/app/cmd.go: the `grpcAddr` flag, default `:15010`); ours is
// meant for local use and differs on purpose.
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { SotwClient } from '../support/xds-client';
import { PROJECT_ROOT, startServe } from './serve-process';

/** 'open' when a TCP connection to host:port is accepted, else the error code. */
function tcp(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timeout');
    });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const BOOKINFO = join(PROJECT_ROOT, 'examples', 'bookinfo');

describe('serve: the plaintext xDS port', () => {
  it('binds 127.0.0.1 by default in directory mode, and --xds-address widens it', async () => {
    const served = await startServe(['--config-dir', BOOKINFO]);
    try {
      const line = served.logs.find((l) => l.msg === 'serving')!;
      assert.equal(line.xdsAddress, '127.0.0.1');
      // 127.0.0.2 is this machine too, but a socket bound to 127.0.0.1 does not answer there.
      assert.equal(await tcp('127.0.0.2', served.xdsPort), 'ECONNREFUSED');
      const c = new SotwClient(`127.0.0.1:${served.xdsPort}`, {
        id: 'sidecar~127.0.0.1~local.default~default.svc.cluster.local',
      });
      try {
        c.send({ type_url: TypeUrl.Cluster });
        assert.equal((await c.next(10_000)).type_url, TypeUrl.Cluster, 'a local client is served');
      } finally {
        c.close();
      }
    } finally {
      await served.stop();
    }
    const widened = await startServe(['--config-dir', BOOKINFO, '--xds-address', '127.0.0.2']);
    try {
      assert.equal(await tcp('127.0.0.2', widened.xdsPort), 'open');
    } finally {
      await widened.stop();
    }
  });
});
