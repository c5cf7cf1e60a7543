// A file edited one document at a time keeps a bounded amount of its past
// text alive. A document's parsed strings are slices of the text they were
// parsed from, and V8 keeps a slice's whole parent string: an edited
// document parsed out of the newly read file would keep that whole file
// alive for as long as the document stands, so every edit to another
// document of the same file kept one more copy of the file (under W5's
// churn, a namespace file of ~440 KB per applied change).
import { strict as assert } from 'node:assert';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DirectorySource } from '../../src/watch/directory';
import { settledHeap } from '../support/settled-heap';

const DOCS = 20;
// Names and labels longer than V8's shortest slice (13 characters), so parsing makes slices.
const doc = (i: number, rev: number) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: settings-service-${i}\n  namespace: application-space\n` +
  `  labels:\n    revision-of-settings: revision-number-${rev}\nspec:\n  ports:\n  - name: http-settings-port\n    port: 80\n`;
// Documents never edited, as a namespace file's hundreds of others: ~2 MB of text.
const PADDING = Array.from(
  { length: 400 },
  (_, j) =>
    `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: other-service-${j}\n  namespace: application-space\n` +
    `  annotations:\n    note: ${'x'.repeat(5000)}\n`,
).join('');

describe('manifest directory source memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-dir-mem-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps no copy of a file per edit while the documents it edited stand', async () => {
    const file = join(dir, 'ns.yaml');
    const revs = Array.from({ length: DOCS }, () => 0);
    // Replaced by rename, as W5's churn and most tools write: a new file each time.
    const write = () => {
      writeFileSync(`${file}.tmp`, PADDING + revs.map((r, i) => `---\n${doc(i, r)}`).join(''));
      renameSync(`${file}.tmp`, file);
    };
    write();
    const src = new DirectorySource(dir, { pollMs: 0 });
    src.rescan();
    const revision = (i: number) =>
      src.objects().find((o) => o.object.metadata.name === `settings-service-${i}`)?.object.metadata.labels?.[
        'revision-of-settings'
      ];
    const baseline = await settledHeap();
    // Each edit changes another document, so every edited version stays served.
    for (let i = 0; i < DOCS; i++) {
      revs[i] = 1;
      write();
      src.rescan();
      assert.equal(revision(i), 'revision-number-1');
    }
    const growth = (await settledHeap()) - baseline;
    // The file is ~2 MB: a copy per edit would be ~40 MB; what is left is the edited documents' own text.
    assert.ok(growth < 8 * 1024 * 1024, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MiB over ${DOCS} edits`);
    await src.stop();
  });
});
