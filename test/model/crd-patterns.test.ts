// Our parsers against the Gateway API CRDs' own schema patterns: for every
// field we check by pattern, the CRD's regex and our parser accept exactly the
// same strings over a fixed-seed sample. The CRDs live beside the project
// (../shared); a plain clone skips this.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { parseGatewayDuration, parseHeaderName, parseHostname } from '../../src/model/values';
import { rng } from '../support/fuzz';

const CRDS = join(__dirname, '..', '..', '..', '..', 'shared', 'crds', 'gateway-api-v1.5.1');

/** The schema node at a dotted path inside the HTTPRoute v1 schema. */
function schemaAt(path: string[]): { pattern?: string; maxLength?: number } {
  const crd = YAML.parse(readFileSync(join(CRDS, 'httproutes.yaml'), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: unknown } }[] };
  };
  let node = crd.spec.versions.find((v) => v.name === 'v1')!.schema.openAPIV3Schema as Record<string, unknown>;
  for (const p of path) {
    const props = (node.properties ?? (node.items as Record<string, unknown> | undefined)?.properties) as
      Record<string, Record<string, unknown>> | undefined;
    node = props?.[p] as Record<string, unknown>;
    assert.ok(node, `schema path ${path.join('.')}`);
  }
  return node as { pattern?: string; maxLength?: number };
}

function sample(alphabet: string, seed: number, n = 4000): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + Math.floor(r() * 14) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''),
  );
}

describe('parsers agree with the Gateway API CRD patterns', { skip: !existsSync(CRDS) && 'CRDs not available' }, () => {
  const cases: [string, string[], (s: string) => { ok: boolean }, string][] = [
    ['timeouts.request', ['spec', 'rules', 'timeouts', 'request'], parseGatewayDuration, '0123456789hms5'],
    ['hostnames[]', ['spec', 'hostnames'], parseHostname, 'ab-.*0Z9_'],
    ['headers[].name', ['spec', 'rules', 'matches', 'headers', 'name'], parseHeaderName, 'aZ-_:!~ (){}`|9'],
  ];
  for (const [field, path, parse, alphabet] of cases) {
    it(field, () => {
      const node = schemaAt(path);
      const schema = (node as { items?: { pattern?: string; maxLength?: number } }).items ?? node;
      assert.ok(schema.pattern, `${field} has a pattern`);
      const re = new RegExp(schema.pattern);
      for (const s of sample(alphabet, field.length)) {
        const crd = re.test(s) && s.length <= (schema.maxLength ?? Infinity);
        // The spec forbids IP addresses in prose only; the pattern lets them through, we do not.
        if (field === 'hostnames[]' && /^[0-9.]+$/.test(s)) continue;
        assert.equal(parse(s).ok, crd, `${field}: ${JSON.stringify(s)}`);
      }
    });
  }
});
