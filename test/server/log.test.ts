import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createLogger, scoped, scopeLevels, setScopeLevel } from '../../src/server/log';

/** A root logger writing JSON lines into an array. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(level, {
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { log, lines };
}

describe('server logs', () => {
  it('name the level, stamp ISO time and carry a scope on every line', () => {
    const { log, lines } = capture();
    log.info('root line');
    scoped(log, 'xds').warn({ proxy: 'a.b' }, 'scoped line');
    assert.equal(lines.length, 2);
    const [root, xds] = lines;
    assert.equal(root?.level, 'info');
    assert.equal(root?.scope, 'default');
    assert.match(String(root?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(xds?.level, 'warn');
    assert.equal(xds?.scope, 'xds');
    assert.equal(xds?.proxy, 'a.b');
  });

  it('changes one scope, or all, at run time', () => {
    const { log, lines } = capture();
    const xds = scoped(log, 'xds');
    const kube = scoped(log, 'kube');
    xds.debug('hidden');
    setScopeLevel(log, 'debug', 'xds');
    xds.debug('shown');
    kube.debug('still hidden');
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['shown'],
    );
    assert.deepEqual(scopeLevels(log), { default: 'info', xds: 'debug', kube: 'info' });
    setScopeLevel(log, 'error');
    assert.deepEqual(scopeLevels(log), { default: 'error', xds: 'error', kube: 'error' });
    assert.throws(() => setScopeLevel(log, 'debug', 'nosuch'), /no log scope nosuch; scopes: default, xds, kube/);
  });
});
