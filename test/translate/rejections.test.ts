// Which objects a resource with problems is blamed on: a listener chain's
// policies, or the waypoint Gateway when nothing finer is known.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { TypeUrl } from '../../src/envoy';
import { ResourceValidator } from '../../src/validate';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { findRejections, provenance } from '../../src/translate/status/rejections';
import { ENVOY_ACCEPTED, withRejections } from '../../src/translate/status/status-rejections';
import { CASES_DIR } from '../golden/harness';

function caseWorld(name: string, edit: (o: KubeObject) => KubeObject = (o) => o) {
  const docs = YAML.parseAllDocuments(readFileSync(join(CASES_DIR, name, 'input.yaml'), 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
  // Straight into the World: this is about what the translator emits, whatever loading would refuse.
  return applyChanges(
    EMPTY_WORLD,
    docs.map((o) => ({ op: 'upsert' as const, object: edit(o) })),
  ).world;
}

describe('rejection provenance', () => {
  it('blames an inline JWKS Envoy cannot parse on its RequestAuthentication, as a warning', () => {
    const world = caseWorld('requestauthentication-jwks', (o) =>
      o.kind === 'RequestAuthentication'
        ? ({
            ...o,
            spec: { ...(o.spec as object), jwtRules: [{ issuer: 'testing@secure.istio.io', jwks: '{"keys": [' }] },
          } as KubeObject)
        : o,
    );
    const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
    const found = [...result.waypoints.values()].flatMap((w) => findRejections(w, new ResourceValidator()));
    assert.equal(found.length, 1);
    const [r] = found;
    assert.equal(r?.typeUrl, TypeUrl.Listener);
    assert.equal(r?.blocking, false);
    assert.equal(r?.exact, true);
    assert.deepEqual(r?.sources, [{ kind: 'RequestAuthentication', namespace: 'app', name: 'jwt' }]);
    assert.ok(r?.violations.every((v) => v.path.includes('local_jwks.inline_string')));
    const status = withRejections(result.statuses, found).find((s) => s.kind === 'RequestAuthentication');
    const cond = status?.conditions?.find((c) => c.type === ENVOY_ACCEPTED);
    assert.equal(cond?.reason, 'AcceptedWithProblems');
    assert.match(cond?.message ?? '', /no token of this issuer will verify/);
  });

  it('falls back to the waypoint Gateway, and says so, for a resource built from the waypoint alone', () => {
    const world = caseWorld('requestauthentication-jwks');
    const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
    const w = [...result.waypoints.values()][0]!;
    const cluster = w.resources.get(TypeUrl.Cluster)![0]!;
    const p = provenance(w.ir, cluster, [{ path: 'envoy.config.cluster.v3.Cluster.name', message: 'x' }]);
    assert.deepEqual(p, { sources: [{ kind: 'Gateway', namespace: w.namespace, name: w.name }], exact: false });
  });
});
