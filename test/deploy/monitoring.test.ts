import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { PROJECT_ROOT, startServe, type Served } from '../e2e/serve-process';

const MONITORING = join(PROJECT_ROOT, 'deploy', 'helm', 'istiod-lite', 'files');

/** Words in PromQL that are not series names. */
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
]);

/** The series names an expression reads (label matchers, grouping lists, functions and numbers left out). */
export function seriesIn(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  const out: string[] = [];
  for (const m of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)) {
    if (m[2] || PROMQL_WORDS.has(m[1]!)) continue; // a function call, or a keyword
    out.push(m[1]!);
  }
  return out;
}

function dashboardExprs(): string[] {
  const dash = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
    panels: { targets: { expr: string }[] }[];
  };
  return dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

function alertExprs(): string[] {
  const rule = load(readFileSync(join(MONITORING, 'alerts.yaml'), 'utf8')) as {
    spec: { groups: { rules: { alert: string; expr: string }[] }[] };
  };
  return rule.spec.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

describe('the shipped dashboard and alert rules', () => {
  let served: Served;
  let exported: Map<string, string>;
  before(async () => {
    served = await startServe(['--config-dir', join(PROJECT_ROOT, 'examples', 'bookinfo')]);
    const text = await (await fetch(`http://127.0.0.1:${served.debugPort}/metrics`)).text();
    exported = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  });
  after(async () => {
    await served?.stop();
  });

  it('reads series names out of PromQL', () => {
    assert.deepEqual(seriesIn('histogram_quantile(0.99, sum by (le, type) (rate(a_bucket{job=~"$job"}[5m]))) > 5'), [
      'a_bucket',
    ]);
    assert.deepEqual(seriesIn('max(b) + sum(rate(c{x="y"}[1m]))'), ['b', 'c']);
  });

  for (const [what, exprs] of [
    ['dashboard', dashboardExprs],
    ['alert rules', alertExprs],
  ] as const) {
    it(`query only series serve exports (${what})`, () => {
      const all = exprs();
      assert.ok(all.length >= 5, `${what} has queries`);
      for (const expr of all) {
        const names = seriesIn(expr);
        assert.ok(names.length > 0, `no series found in ${expr}`);
        for (const name of names) {
          const hist = /^(.*)_(bucket|sum|count)$/.exec(name);
          const base = hist && exported.get(hist[1]!) === 'histogram' ? hist[1]! : name;
          assert.ok(exported.has(base), `${what}: ${name} (in ${expr}) is not exported`);
          if (name.endsWith('_bucket')) assert.equal(exported.get(base), 'histogram', `${name} is a histogram's`);
        }
      }
    });
  }
});
