import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';
import { NOT_BLOCK_YAML, parseBlockYaml } from '../../src/watch/block-yaml';
import { parseManifestFile } from '../../src/watch/parse';
import { splitDocuments } from '../../src/watch/split';
import { rng } from '../support/fuzz';

// The schema and options the directory source loads with (src/watch/parse.ts).
const schema = CORE_SCHEMA.withTags(mergeTag);
const jsYaml = (text: string): { value: unknown } | { error: string } => {
  try {
    const docs = loadAll(text, { schema, json: true });
    return { value: docs.length === 0 ? null : docs.length === 1 ? docs[0] : docs };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
};

/** The property the parser promises: it agrees with js-yaml, or it steps aside. */
function agrees(text: string): 'same' | 'bailed' {
  const fast = parseBlockYaml(text, schema);
  if (fast === NOT_BLOCK_YAML) return 'bailed';
  const slow = jsYaml(text);
  assert.ok('value' in slow, `js-yaml refuses what the block parser read:\n${text}\n(${JSON.stringify(slow)})`);
  assert.ok(
    isDeepStrictEqual(fast, slow.value),
    `different values for:\n${text}\nblock: ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify(slow.value)}`,
  );
  return 'same';
}

const root = join(__dirname, '..', '..', '..');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

describe('the block YAML parser', () => {
  it('reads what tools write for Kubernetes objects exactly as js-yaml does', () => {
    const text = [
      '# a leading comment',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: reviews   # trailing comment',
      '  labels:',
      '    app.kubernetes.io/name: reviews',
      '    "quoted key": "a \\"b\\" \\u00e9 \\n"',
      "    'single': 'it''s'",
      '  annotations: {}',
      'spec:',
      '  ports:',
      '  - name: http',
      '    port: 9080',
      '    targetPort: -1',
      '  - port: 0x1F',
      '  selector:',
      '    app: reviews',
      '  empty:',
      '  list: []',
      '  nulls: [~, null]',
    ].join('\n');
    // The last line has a flow sequence with content: the parser steps aside for it.
    assert.equal(agrees(text), 'bailed');
    assert.equal(agrees(text.replace('  nulls: [~, null]', '  nulls:\n    - ~\n    - null\n    - Null')), 'same');
    const v = parseBlockYaml(text.replace('  nulls: [~, null]', ''), schema) as Record<string, Record<string, unknown>>;
    assert.deepEqual(v.metadata?.labels, {
      'app.kubernetes.io/name': 'reviews',
      'quoted key': 'a "b" é \n',
      single: "it's",
    });
    assert.deepEqual(v.spec?.ports, [{ name: 'http', port: 9080, targetPort: -1 }, { port: 31 }]);
    assert.equal(v.spec?.empty, null);
  });

  it('resolves plain scalars by the schema: numbers, booleans, nulls and strings that look like them', () => {
    const cases = [
      'a: 1',
      'a: -1',
      'a: +1',
      'a: 1.5',
      'a: 1e3',
      'a: .5',
      'a: .inf',
      'a: -.Inf',
      'a: .nan',
      'a: 0o17',
      'a: 0x_1',
      'a: 1_000',
      'a: 010',
      'a: true',
      'a: True',
      'a: TRUE',
      'a: yes',
      'a: on',
      'a: ~',
      'a: NULL',
      'a: nulls',
      'a: 2001-12-14',
      'a: 1.2.3',
      'a: 10.0.0.1',
      'a: 0.0.0.0/0',
      'a: 80x',
      'a: "1"',
      "a: '0x10'",
      '1: a',
      '1.0: a',
      'true: a',
      'null: a',
      '~: a',
      '0x10: a',
    ];
    for (const c of cases) assert.equal(agrees(c), 'same', c);
  });

  it('reads plain text with colons, hashes, brackets and quotes inside, and folds multi-line plain scalars', () => {
    const cases = [
      'url: http://example.com:8080/a#frag',
      'regex: ^/api/[a-z]{2,3}(/.*)?$',
      'a: b:c',
      "a: it's",
      'a: say "hi"',
      'a: x # comment: with a colon',
      'a: b#c',
      'a: -x',
      'a: --- not a marker',
      'a:b: c',
      'a b: c d',
      'k: long text that\n  goes on\n  and on',
      '- one\n  two\n- three',
      'a: 1\n# comment\nb: 2',
      'a:\n  # comment\n  b: 2',
      'a: x\na: y',
      'a:\n- 1\n-\n- 3',
      '-\n  a: 1\n- - 2',
      '-   a: 1\n    b: 2\n-   c: 3',
      'a:\n    b:\n        - c\n        - d: e\n          f: g\n    h: i',
    ];
    for (const c of cases) agrees(c);
    assert.equal(agrees('k: long text that\n  goes on\n  and on'), 'same');
    assert.equal(agrees('a: x # comment: with a colon'), 'same');
  });

  it('steps aside for what it does not read (js-yaml then reads it or reports the error)', () => {
    const outside = [
      'a: &x 1\nb: *x',
      'a: !!str 1',
      'a: |\n  text',
      'a: >-\n  text',
      'a: {b: 1}',
      'a: [1, 2]',
      'a: "two\n  lines"',
      '<<: {a: 1}',
      'a:\n  <<: {b: 1}',
      '__proto__: 1',
      '? a\n: b',
      'a:\tb',
      'a: b\r\nc: d',
      '%YAML 1.2\n---\na: 1',
      'a: 1\n---\nb: 2',
      'a: 1\n...',
      '--- a: 1',
      'plain scalar document',
      'a: b: c',
      'a:\n  b\n  c: d',
      'a: 1\n  b: 2',
      'a:\n    b: 1\n  c: 2',
      'a: "x" y',
      'a: @x',
      'a: `x`',
      'a: "\\z"',
      'a: "\\x41"',
      'a: - 1',
      '- - 1',
      'a: x\n\n  y',
      '- x # a comment ends the scalar\n  y',
      '\uFEFFa: 1',
    ];
    for (const c of outside) {
      assert.equal(parseBlockYaml(c, schema), NOT_BLOCK_YAML, JSON.stringify(c));
    }
  });

  it('agrees with js-yaml on every manifest the project ships', () => {
    let same = 0;
    for (const dir of ['examples', 'deploy', join('test', 'golden', 'cases')]) {
      for (const f of yamlFiles(join(root, dir))) {
        for (const c of splitDocuments(readFileSync(f, 'utf8'))) if (agrees(c.text) === 'same') same++;
      }
    }
    assert.ok(same > 100, `only ${same} documents read by the block parser`);
  });

  it('agrees with js-yaml or steps aside on thousands of generated and mutated documents (fixed seed)', () => {
    const r = rng(20261205);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const keys = ['name', 'a', 'app.kubernetes.io/name', '"q k"', "'s'", 'true', '1', 'null', 'x y', 'k#', 'port'];
    const scalars = [
      'v',
      '1',
      '-2',
      '0x1F',
      '1.5e3',
      '.inf',
      'true',
      'no',
      '~',
      'null',
      '""',
      "''",
      '"a\\tb"',
      "'it''s'",
      'http://h:1/p',
      'a:b',
      'x # c',
      '{}',
      '[]',
      '"\\u00e9"',
      'a b c',
      '-x',
      '10.0.0.0/8',
      '*',
      '&a',
      '|',
      '"',
    ];
    const gen = (depth: number, indent: number): string[] => {
      const pad = ' '.repeat(indent);
      const lines: string[] = [];
      const seq = r() < 0.35;
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n; i++) {
        const nest = depth < 3 && r() < 0.4;
        const step = pick([2, 2, 4, 1]);
        if (seq) {
          if (nest && r() < 0.5) {
            const inner = gen(depth + 1, indent + step);
            const first = (inner[0] ?? '').trimStart();
            lines.push(`${pad}-${' '.repeat(step - 1 || 1)}${first}`, ...inner.slice(1));
          } else if (nest) {
            lines.push(`${pad}-`, ...gen(depth + 1, indent + step));
          } else lines.push(`${pad}- ${pick(scalars)}`);
        } else {
          const k = pick(keys);
          if (nest) {
            lines.push(`${pad}${k}:`, ...gen(depth + 1, indent + (r() < 0.2 ? 0 : step)));
          } else lines.push(`${pad}${k}: ${pick(scalars)}`);
        }
        if (r() < 0.1) lines.push(`${pad}# note`);
        if (r() < 0.05) lines.push('');
      }
      return lines;
    };
    const noise = [
      ' ',
      ':',
      '-',
      '#',
      '"',
      "'",
      '\n',
      '  ',
      '{',
      '}',
      '[',
      ']',
      ',',
      '&',
      '*',
      '!',
      '|',
      '>',
      '\t',
      '?',
      '~',
      '\u00a0',
      '\u2028',
      '\u0085',
      'é',
      '\r',
    ];
    let same = 0;
    let bailed = 0;
    for (let i = 0; i < 6000; i++) {
      let text = gen(0, 0).join('\n');
      if (i % 2 === 1) {
        for (let m = 0; m < 1 + Math.floor(r() * 3); m++) {
          const at = Math.floor(r() * (text.length + 1));
          const cut = r() < 0.3 ? 1 : 0;
          text = text.slice(0, at) + pick(noise) + text.slice(at + cut);
        }
      }
      if (agrees(text) === 'same') same++;
      else bailed++;
    }
    // Both paths are exercised: most generated documents are read, and mutated ones often are not.
    assert.ok(same > 1200, `${same} read, ${bailed} stepped aside`);
    assert.ok(bailed > 500, `${same} read, ${bailed} stepped aside`);
  });

  it('leaves a file of mixed documents with the same objects and lines as before', () => {
    const text = [
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: flow, namespace: default}',
      'spec:',
      '  ports: [{port: 80}]',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: block',
      '  namespace: default',
      'spec:',
      '  ports:',
      '  - port: 81',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: broken',
      '  namespace: default',
      'spec: [unclosed',
    ].join('\n');
    const parsed = parseManifestFile('mixed.yaml', text);
    assert.deepEqual(
      parsed.docs.map((d) => [d.object.metadata.name, d.line]),
      [
        ['flow', 1],
        ['block', 7],
      ],
    );
    assert.equal(parsed.errors.length, 1);
    assert.match(
      `${parsed.errors[0]?.file}:${parsed.errors[0]?.line}: ${parsed.errors[0]?.message}`,
      /^mixed\.yaml:2[12]: invalid YAML/,
    );
  });
});
