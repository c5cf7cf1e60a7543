import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { PROJECT_ROOT, runCli } from './serve-process';

const CASES = join(PROJECT_ROOT, 'test', 'golden', 'cases');

describe('translate and analyze on invalid input', () => {
  it('translate prints every refusal as file:line: Kind ns/name: field: problem, serves the rest, and exits 65 (data error)', async () => {
    const file = join(CASES, 'invalid-route-values', 'input.yaml');
    const r = await runCli(['translate', '-f', file, '-o', 'json']);
    assert.equal(r.code, 65);
    assert.ok(
      r.stderr.includes(
        `error: ${file}:123: HTTPRoute app/bad-path-regex: spec.rules[0].matches[0].path.value: invalid regex: error parsing regexp: missing closing ): \`/(foo\``,
      ),
      r.stderr,
    );
    assert.match(
      r.stderr,
      /HTTPRoute app\/bad-timeout: spec\.rules\[0\]\.timeouts\.request: invalid duration "10parsecs"/,
    );
    const doc = JSON.parse(r.stdout) as {
      waypoints: { routes: { virtualHosts?: { routes?: { name?: string }[] }[] }[] }[];
    };
    const names = doc.waypoints.flatMap((w) =>
      w.routes.flatMap((rc) => (rc.virtualHosts ?? []).flatMap((vh) => (vh.routes ?? []).map((x) => x.name))),
    );
    assert.ok(names.includes('app.good.0'), `the valid route is still translated: ${names.join(', ')}`);
    assert.ok(!names.some((n) => n?.startsWith('app.bad-')), 'no refused route is');
  });

  it('analyze prints the same messages and exits 79 for its findings, as istioctl', async () => {
    const file = join(CASES, 'invalid-authz-fail-closed', 'input.yaml');
    const r = await runCli(['analyze', '-A', '-f', file]);
    assert.equal(r.code, 79);
    assert.ok(
      r.stderr.includes(
        `error: ${file}:112: AuthorizationPolicy app/deny-bad-ip: spec.rules[0].from[0].source.ipBlocks[1]: bad IP address (10.0.0.300)`,
      ),
      r.stderr,
    );
  });

  it('a clean input still exits 0', async () => {
    const r = await runCli(['translate', '-f', join(CASES, 'authz-allow-service', 'input.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(YAML.parse(r.stdout));
  });
});
