// `<command> -h` / `--help` prints that command's usage on stdout and exits 0,
// as istioctl does; nothing runs (serve does not start, waypoint touches no cluster).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { runCli } from './serve-process';

const COMMANDS = [
  'serve',
  'translate',
  'analyze',
  'waypoint',
  'proxy-status',
  'proxy-config',
  'ztunnel-config',
  'version',
  'completion',
];

describe('help on every command', () => {
  for (const name of COMMANDS) {
    it(`${name} --help and -h print its usage and exit 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await runCli([name, flag]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^usage: istiod-lite ${name}\\b`));
        assert.equal(r.stderr, '');
      }
    });
  }

  it('answers help after other flags and under "x", but not for an argument after --', async () => {
    const r = await runCli(['x', 'waypoint', 'delete', '--all', '-h']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: istiod-lite waypoint/);
    const after = await runCli(['translate', '--', '-h']);
    assert.notEqual(after.code, 0);
    assert.equal(after.stdout, '');
  });

  it("exits with istioctl's codes: 0 for no command, 64 for an unknown command or flag", async () => {
    const bare = await runCli([]);
    assert.equal(bare.code, 0);
    assert.match(bare.stdout, /^usage: istiod-lite <command>/);
    const unknown = await runCli(['nosuch']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown command "nosuch"/);
    const flag = await runCli(['translate', '--nosuch']);
    assert.equal(flag.code, 64);
  });

  it("answers to istioctl's aliases: ps, pc (with its section aliases) and zc", async () => {
    for (const [alias, name] of [
      ['ps', 'proxy-status'],
      ['pc', 'proxy-config'],
      ['zc', 'ztunnel-config'],
    ] as const) {
      const r = await runCli([alias, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: istiod-lite ${name}`));
    }
    const help = await runCli(['--help']);
    assert.match(help.stdout, /proxy-status .*\(alias: ps\)/);
    // A section alias is accepted: the command goes on to ask a server (here, none).
    const section = await runCli(['pc', 'c', 'p.ns', '--debug-address', '127.0.0.1:1']);
    assert.equal(section.code, 1, section.stderr);
    assert.doesNotMatch(section.stderr, /section/);
    const bad = await runCli(['pc', 'nosuch', 'p.ns']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /section/);
  });
});
