// Emitted resources are typed end to end: compiling a misspelled field inside
// a packed Any must fail, and the correct spelling must compile.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..', '..');

function compile(body: string): { code: number; out: string } {
  const dir = mkdtempSync(join(root, 'dist', 'typecheck-'));
  try {
    const file = join(dir, 'probe.ts');
    writeFileSync(file, `import { pack, prepare } from '../../src/envoy';\n${body}\n`);
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--target',
        'ES2022',
        '--module',
        'commonjs',
        '--strict',
        '--skipLibCheck',
        '--esModuleInterop',
        '--resolveJsonModule',
        '--types',
        'node',
        file,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    return { code: r.status ?? 1, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('typed pack()', () => {
  it('rejects a misspelled field inside an Any at compile time, and accepts the right one', () => {
    const good = compile(`prepare('envoy.config.listener.v3.Listener', 'l', {
      name: 'l',
      filter_chains: [{ filters: [{ name: 'tcp', typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: 's', cluster: 'c' }) }] }],
    });`);
    assert.equal(good.code, 0, good.out);
    const bad = compile(`prepare('envoy.config.listener.v3.Listener', 'l', {
      name: 'l',
      filter_chains: [{ filters: [{ name: 'tcp', typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: 's', clustr: 'c' }) }] }],
    });`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /clustr/);
    const untyped = compile(`prepare('envoy.config.listener.v3.Listener', 'l', {
      name: 'l',
      filter_chains: [{ filters: [{ name: 'tcp', typed_config: { '@type': 'type.googleapis.com/x', clustr: 'c' } }] }],
    });`);
    assert.notEqual(untyped.code, 0, 'an Any cannot be written by hand, only by pack()');
  });
});
