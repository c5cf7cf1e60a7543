import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT, runCli } from './serve-process';

const BOOKINFO = join(PROJECT_ROOT, 'examples', 'bookinfo');
const dir = mkdtempSync(join(tmpdir(), 'diff-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('diff command: exit status 0 same, 1 changed, 2 error, as diff(1) and kubectl diff', () => {
  it('exits 0 and says so when the manifests change nothing', async () => {
    const r = await runCli(['diff', '-f', join(BOOKINFO, 'policies.yaml'), '--config-dir', BOOKINFO]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^no changes/);
  });

  it('exits 1 and prints the changed route fields; -o json carries the same', async () => {
    const policies = readFileSync(join(BOOKINFO, 'policies.yaml'), 'utf8');
    const edited = policies.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20');
    assert.notEqual(edited, policies);
    const f = file('route.yaml', edited);
    const text = await runCli(['diff', '-f', f, '--config-dir', BOOKINFO]);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /^waypoint default\/reviews-svc-waypoint$/m);
    assert.match(text.stdout, /weight: 90 → 80$/m);
    const json = await runCli(['diff', '-f', f, '--config-dir', BOOKINFO, '-o', 'json']);
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout) as { changed: boolean; targets: { target: string }[] };
    assert.equal(doc.changed, true);
    assert.ok(doc.targets.some((t) => t.target === 'default/reviews-svc-waypoint'));
  });

  it('exits 2 on a document that cannot be used, naming the file', async () => {
    const f = file('bad.yaml', 'apiVersion: v1\nkind: Service\nmetadata: [not, a, map]\n');
    const r = await runCli(['diff', '-f', f, '--config-dir', BOOKINFO]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /bad\.yaml/);
  });

  it('exits 2 when there is nothing to compare with, and on a usage mistake', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const env = { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' };
    const r = await runCli(['diff', '-f', join(BOOKINFO, 'policies.yaml')], 20_000, env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no Kubernetes cluster configured.*--config-dir/);
    const u = await runCli(['diff', '--config-dir', BOOKINFO]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /-f FILE_OR_DIR is required/);
  });
});

describe('diff command: a resource Envoy would refuse', () => {
  const policies = readFileSync(join(BOOKINFO, 'policies.yaml'), 'utf8');
  // No pattern on a Gateway API header value, so it loads; Envoy refuses CR/LF in one.
  const bad = policies.replace(
    '  rules:\n    - backendRefs:\n        - name: reviews-v1',
    '  rules:\n    - filters:\n        - type: RequestHeaderModifier\n          requestHeaderModifier:\n            set:\n              - name: x-note\n                value: "a\\r\\nb"\n      backendRefs:\n        - name: reviews-v1',
  );
  const refusal =
    /waypoint default\/reviews-svc-waypoint: Envoy would reject RouteConfiguration inbound-vip\|9080\|http\|reviews\.default\.svc\.cluster\.local \(.*valid HTTP header value/;

  it('exits 1 and names the waypoint and resource; -o json carries it', async () => {
    assert.notEqual(bad, policies, 'the example still has the route this test edits');
    const f = file('bad-header.yaml', bad);
    const text = await runCli(['diff', '-f', f, '--config-dir', BOOKINFO]);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, new RegExp(`^envoy\\n  ! ${refusal.source}`, 'm'));
    const json = await runCli(['diff', '-f', f, '--config-dir', BOOKINFO, '-o', 'json']);
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout) as { changed: boolean; rejected: string[]; resolved: string[] };
    assert.equal(doc.changed, true);
    assert.equal(doc.rejected.length, 1);
    assert.match(doc.rejected[0]!, refusal);
    assert.deepEqual(doc.resolved, []);
  });

  it('shows the fix as resolved, and exits 1', async () => {
    const served = mkdtempSync(join(dir, 'bad-'));
    cpSync(BOOKINFO, served, { recursive: true });
    writeFileSync(join(served, 'policies.yaml'), bad);
    const text = await runCli(['diff', '-f', join(BOOKINFO, 'policies.yaml'), '--config-dir', served]);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, new RegExp(`^  - resolved: ${refusal.source}`, 'm'));
    assert.doesNotMatch(text.stdout, /^  ! /m);
    const json = await runCli(['diff', '-f', join(BOOKINFO, 'policies.yaml'), '--config-dir', served, '-o', 'json']);
    const doc = JSON.parse(json.stdout) as { rejected: string[]; resolved: string[] };
    assert.deepEqual(doc.rejected, []);
    assert.match(doc.resolved[0] ?? '', refusal);
  });
});
