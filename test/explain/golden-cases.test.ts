// explain's answers for the routing and policy golden cases: each request
// with the verdict istiod's semantics give for the case's input.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CASES_DIR } from '../golden/harness';
import { explainer, mismatches, type Check } from './support';
import { AUTHZ_CASES } from './cases-authz';
import { JWT_CASES } from './cases-jwt';
import { HTTP_CASES } from './cases-http';
import { MESH_CASES } from './cases-mesh';
import { L4_CASES } from './cases-l4';
import { VS_CASES } from './cases-vs';
import { SE_CASES } from './cases-se';
import { SEED_CASES } from './cases-seed';

const ALL: Record<string, Check[]> = {
  ...AUTHZ_CASES,
  ...JWT_CASES,
  ...HTTP_CASES,
  ...MESH_CASES,
  ...L4_CASES,
  ...VS_CASES,
  ...SE_CASES,
  ...SEED_CASES,
};

describe('explain on the golden cases', () => {
  for (const [name, checks] of Object.entries(ALL)) {
    it(name, async () => {
      const dir = join(CASES_DIR, name);
      assert.ok(existsSync(dir), `golden case ${name} exists`);
      const ask = await explainer(dir);
      const problems = checks.flatMap((c) => {
        const e = ask(c.ask);
        return mismatches(e, c.want).map((p) => `${c.why}: ${p} — answer: ${e.verdict.summary}`);
      });
      assert.deepEqual(problems, []);
    });
  }
});
