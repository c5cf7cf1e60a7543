import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { SHIPPED_MALLOC_ENV } from '../../bench/malloc-env';
import { generateMesh } from '../../bench/mesh';
import { loadManifests } from '../../src/watch/load';
import { buildAmbientIndex } from '../../src/ambient';

describe('synthetic mesh generator', () => {
  it('is deterministic and its manifests load without a single rejected document', async () => {
    const a = generateMesh({ services: 200 });
    assert.deepEqual(generateMesh({ services: 200 }), a);
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-mesh-'));
    try {
      writeFileSync(join(dir, 'mesh.yaml'), a.map((o) => YAML.stringify(o)).join('---\n'));
      const { world, errors } = await loadManifests([dir]);
      assert.deepEqual(errors, []);
      const index = buildAmbientIndex(world, { assumeReady: false });
      assert.equal(index.waypoints.size, 2);
      assert.equal(index.servicesOf('bench-000/waypoint').length, 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('benchmark malloc settings', () => {
  it('are the ones the image ships with', () => {
    const dockerfile = readFileSync(join(__dirname, '..', '..', '..', 'Dockerfile'), 'utf8');
    const shipped = Object.fromEntries(
      [...dockerfile.matchAll(/^ENV (MALLOC_\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    assert.deepEqual(shipped, SHIPPED_MALLOC_ENV);
  });
});

describe('npm start', () => {
  it('starts serve through the launcher, which supplies the shipped malloc settings (test/e2e/launcher)', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.start!, /^node bin\/istiod-lite\.js serve /);
    assert.doesNotMatch(pkg.scripts.start!, /MALLOC_/, 'no second copy of the settings to drift');
  });
});
