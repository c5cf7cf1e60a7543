import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseManifestFile } from '../../src/watch/parse';
import { splitDocuments } from '../../src/watch/split';
import { ProblemLog } from '../../src/watch/problem-log';

describe('splitting a manifest file into documents', () => {
  it('cuts on document markers only, keeping leading comments with the document that follows', () => {
    const text = [
      '# header',
      'a: 1',
      '---',
      '# about b',
      'b: |',
      '  --- not a marker (indented)',
      '  text',
      '--- # c follows',
      'c: 3',
      '...',
      '%YAML 1.2',
      '---',
      'd: 4',
      '--- {e: 5}',
      '---',
      '',
    ].join('\n');
    assert.deepEqual(
      splitDocuments(text).map((c) => [c.line, c.contentLine, c.text.split('\n')[0]]),
      [
        [1, 2, '# header'],
        [3, 5, '---'],
        [8, 9, '--- # c follows'],
        [11, 13, '%YAML 1.2'],
        [14, 14, '--- {e: 5}'],
      ],
    );
  });

  it('gives the same objects and lines as parsing the file whole', () => {
    const text =
      'kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n---\n\n# c\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n---\nfoo: [unclosed\n';
    const r = parseManifestFile('f.yaml', text);
    assert.deepEqual(
      r.docs.map((d) => [d.object.metadata.name, d.line]),
      [
        ['a', 1],
        ['b', 7],
      ],
    );
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [13],
    );
    assert.equal(r.unreadable, true);
  });

  it('parses many documents in one call and still places each, with or without markers and comments', () => {
    const ns = (n: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`;
    // helm-style: a comment before each marker; then a document ended by `...` and one without a marker.
    const text = `${ns('a')}# Source: b.yaml\n---\n${ns('b')}--- # c\n${ns('c')}...\n${ns('d')}`;
    const r = parseManifestFile('f.yaml', text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.docs.map((d) => [d.object.metadata.name, d.line]),
      [
        ['a', 1],
        ['b', 7],
        ['c', 12],
        ['d', 17],
      ],
    );
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const r = parseManifestFile('bomb.yaml', `${lines.join('\n')}\n`);
    assert.deepEqual(
      r.errors.map((e) => `${e.line}: ${e.message}`),
      ['1: invalid YAML: aliases expand past the document size limit'],
    );
  });
});

describe('problem log', () => {
  const capture = () => {
    const lines: string[] = [];
    const log = {
      warn: (o: Record<string, unknown>, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
      info: (o: Record<string, unknown>, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
    };
    return { lines, log: log as never };
  };

  it('logs a problem once while it lasts, and not again when it comes back within a minute', () => {
    const { lines, log } = capture();
    let t = 0;
    const p = new ProblemLog(log, () => t);
    for (let i = 0; i < 100; i++) p.report(['f.yaml:1: bad']);
    assert.equal(lines.length, 1);
    p.report([]);
    t = 30_000;
    p.report(['f.yaml:1: bad']);
    assert.deepEqual(lines.length, 2, 'resolved line only');
    p.report([]);
    t = 100_000;
    p.report(['f.yaml:1: bad']);
    assert.equal(lines.filter((l) => l.includes('f.yaml:1: bad')).length, 2);
  });

  it('logs at most 20 new problems at once and counts the rest', () => {
    const { lines, log } = capture();
    new ProblemLog(log).report(Array.from({ length: 5000 }, (_, i) => `f.yaml:${i}: bad`));
    assert.equal(lines.length, 21);
    assert.match(lines[20] ?? '', /more rejected manifest input not logged \{"more":4980,"total":5000\}/);
  });
});
