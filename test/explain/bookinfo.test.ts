// The waypoint guide's scenario as shipped in examples/bookinfo: explain's
// answers, in process and through the command line (-o json and text).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../golden/harness';
import { runCli } from '../e2e/serve-process';
import { explainer, mismatches } from './support';
import { BOOKINFO_CHECKS } from './cases-seed';

const BOOKINFO = join(PROJECT_ROOT, 'examples', 'bookinfo');

describe('explain on examples/bookinfo', () => {
  it('answers the guide’s requests', async () => {
    const ask = await explainer(BOOKINFO);
    const problems = BOOKINFO_CHECKS.flatMap((c) => {
      const e = ask(c.ask);
      return mismatches(e, c.want).map((p) => `${c.why}: ${p} — answer: ${e.verdict.summary}`);
    });
    assert.deepEqual(problems, []);
  });

  it('prints the journey as JSON with -o json', async () => {
    const r = await runCli([
      'explain',
      '-f',
      BOOKINFO,
      '--offline',
      '--from',
      'default/productpage-v1-675fc69cf-fp65z',
      '--to',
      'details:9080',
      '--method',
      'POST',
      '-o',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      waypoint: { waypoint: string; reason: string };
      journey: { chain: string; filters: { kind: string; stops: boolean }[] };
      verdict: { outcome: string; status: number; detail: string };
    };
    assert.equal(doc.waypoint.waypoint, 'default/waypoint');
    assert.match(doc.waypoint.reason, /namespace default has label istio\.io\/use-waypoint=waypoint/);
    assert.equal(doc.journey.chain, 'inbound-vip|9080|http|details.default.svc.cluster.local');
    assert.deepEqual(
      doc.journey.filters.map((f) => [f.kind, f.stops]),
      [['rbac', true]],
    );
    assert.deepEqual(
      [doc.verdict.outcome, doc.verdict.status, doc.verdict.detail],
      ['denied', 403, 'RBAC: access denied'],
    );
  });

  it('prints numbered steps and the answer as text', async () => {
    const r = await runCli(['explain', '-f', BOOKINFO, '--offline', '--to', 'reviews.default:9080']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Waypoint +default\/reviews-svc-waypoint/);
    assert.match(r.stdout, /why: Service default\/reviews has label istio\.io\/use-waypoint=reviews-svc-waypoint/);
    assert.match(r.stdout, /Answer: forwarded to outbound\|9080\|\|reviews-v1\.default\.svc\.cluster\.local .*\(90%\)/);
  });

  it('names what it cannot find, and refuses bad flags', async () => {
    const missing = await runCli(['explain', '-f', BOOKINFO, '--offline', '--to', 'nosuch:80']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no Service or ServiceEntry is called nosuch/);
    const bad = await runCli(['explain', '-f', BOOKINFO, '--to', 'details:9080', '--jwt-claims', '[1]']);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--jwt-claims: not a JSON object/);
    const noTo = await runCli(['explain', '-f', BOOKINFO]);
    assert.equal(noTo.code, 64);
  });
});
