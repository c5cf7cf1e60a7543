import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { VERSION } from '../../src/version';

const ROOT = join(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; license: string; engines: { node: string } };

describe('repository basics', () => {
  it('one version: package.json, the running code, the image label and the changelog', () => {
    assert.equal(VERSION, pkg.version);
    assert.match(read('Dockerfile'), new RegExp(`org\\.opencontainers\\.image\\.version="${pkg.version}"`));
    assert.match(read('CHANGELOG.md'), new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')} `, 'm'));
  });

  it('the LICENSE file is the license package.json declares', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.match(read('LICENSE'), /^\s*Apache License\s+Version 2\.0, January 2004/);
    assert.match(read('Dockerfile'), /org\.opencontainers\.image\.licenses="Apache-2\.0"/);
  });

  it('one Node.js major: the image, CI and engines', () => {
    const image = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => m[1]);
    const ci = /^NODE_MAJOR=(\d+)$/m.exec(read('.ci/run'))?.[1];
    assert.ok(image.length >= 1);
    for (const major of image) assert.equal(major, ci);
    assert.equal(pkg.engines.node, `>=${ci}`);
  });
});
