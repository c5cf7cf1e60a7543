// Fixed-seed fuzzing of the value parsers, the kind checks, the fail-closed
// policy form and the webhook's review: thousands of malformed inputs, no
// exception, and every refusal names the field it is about.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { kindInfo, KINDS, type AuthorizationPolicy } from '../../src/model';
import { failClosedPolicy } from '../../src/model/fail-closed';
import * as v from '../../src/model/values';
import { review } from '../../src/webhook/review';
import { mutate, rng } from '../support/fuzz';

const SEEDS: Record<string, string[]> = {
  parseIp: ['10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '255.255.255.255'],
  parseCidr: ['203.0.113.0/24', '::/0', '10.0.0.0/8', '::ffff:10.0.0.0/104'],
  parseIpOrCidr: ['192.0.2.1', '2001:db8::/32'],
  parsePortString: ['80', '65535', '0'],
  parseGatewayDuration: ['10s', '1h30m', '250ms', '0s'],
  parseIstioDuration: ['1.5s', '1h2m3s', '10ms'],
  parseRe2: ['^/api/v[0-9]+/.*$', '(?i)abc', '[a-z]{2,3}', '\\d+|foo'],
  parseJwks: ['{"keys":[{"kty":"RSA","e":"AQAB","n":"x"}]}'],
  parseJwksUri: ['https://example.com/.well-known/jwks.json'],
  parseHeaderName: ['x-user', 'Content-Type'],
  parseHostname: ['*.example.com', 'reviews.default.svc.cluster.local'],
  parseServiceAccount: ['ns/sa', 'sa'],
  parseNonEmpty: ['cluster.local/ns/a/sa/b'],
  parseAuthzPath: ['/api/{*}/x/{**}', '/a/*'],
};

type Parser = (text: string) => v.Parsed<unknown>;

const FIELD = /^(apiVersion|kind|metadata|spec|status|data|addressType|endpoints|ports|document|request)\b[^:]*: \S/;

function randomValue(r: () => number, depth = 0): unknown {
  switch (Math.floor(r() * (depth > 2 ? 6 : 8))) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 200_000) - 1000;
    case 2:
      return r() < 0.5;
    case 3:
      return mutate(Buffer.from('10.0.0.1/24'), r).toString('latin1');
    case 4:
      return ['', '*', '/(foo', '[a-', '80x', '10parsecs', '{not json', '203.0.113.0/24x'][Math.floor(r() * 8)];
    case 5:
      return 'x'.repeat(Math.floor(r() * 300));
    case 6:
      return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 3) }, () => [
          ['rules', 'from', 'to', 'source', 'ipBlocks', 'matches', 'path', 'value', 'type', 'jwks'][
            Math.floor(r() * 10)
          ]!,
          randomValue(r, depth + 1),
        ]),
      );
  }
}

/** Replaces one value somewhere inside `o` with a random one. */
function scramble(o: unknown, r: () => number): unknown {
  const copy = structuredClone(o) as Record<string, unknown>;
  let node: unknown = copy;
  for (let d = 0; d < 8; d++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[Math.floor(r() * keys.length)]!;
    const child = (node as Record<string, unknown>)[k];
    if (r() < 0.3 || child === null || typeof child !== 'object') {
      (node as Record<string, unknown>)[k] = randomValue(r);
      break;
    }
    node = child;
  }
  return copy;
}

const SAMPLES: Record<string, unknown> = {
  AuthorizationPolicy: {
    spec: {
      action: 'DENY',
      targetRefs: [{ kind: 'Service', group: '', name: 's' }],
      rules: [
        {
          from: [{ source: { ipBlocks: ['10.0.0.0/8'], principals: ['a'] } }],
          to: [{ operation: { ports: ['80'], paths: ['/a'] } }],
          when: [{ key: 'source.ip', values: ['10.0.0.1'] }],
        },
      ],
    },
  },
  HTTPRoute: {
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 's' }],
      hostnames: ['a.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'RegularExpression', value: '/a.*' }, headers: [{ name: 'x', value: 'y' }] }],
          backendRefs: [{ name: 's', port: 80, weight: 1 }],
          timeouts: { request: '10s' },
        },
      ],
    },
  },
  RequestAuthentication: {
    spec: { jwtRules: [{ issuer: 'i', jwks: '{"keys":[{"kty":"RSA"}]}', fromHeaders: [{ name: 'a' }] }] },
  },
  ServiceEntry: { spec: { hosts: ['a.example.com'], addresses: ['10.0.0.1'], ports: [{ number: 80, name: 'http' }] } },
};

/** `w` is `o` with some constraints removed: object keys dropped, `when` conditions dropped. */
function widens(w: unknown, o: unknown, key = ''): boolean {
  if (Array.isArray(w) && Array.isArray(o)) {
    if (key === 'when') return w.every((x) => o.some((y) => JSON.stringify(x) === JSON.stringify(y)));
    if (key === 'from' || key === 'to') return w.length === o.length && w.every((x, i) => widens(x, o[i]));
    return JSON.stringify(w) === JSON.stringify(o);
  }
  if (w && o && typeof w === 'object' && typeof o === 'object' && !Array.isArray(w) && !Array.isArray(o))
    return Object.entries(w).every(([k, x]) => k in o && widens(x, (o as Record<string, unknown>)[k], k));
  return JSON.stringify(w) === JSON.stringify(o);
}

describe('fuzzing the input checks (fixed seeds)', () => {
  it('parsers: mutated inputs never throw, and a refusal is a non-empty message', () => {
    let cases = 0;
    for (const [name, seeds] of Object.entries(SEEDS)) {
      const parse = (v as unknown as Record<string, Parser>)[name]!;
      const r = rng(name.length * 7919);
      for (let i = 0; i < 600; i++) {
        const seed = seeds[i % seeds.length]!;
        const text = i === 0 ? seed : mutate(Buffer.from(seed), r).toString(r() < 0.5 ? 'utf8' : 'latin1');
        const out = parse(text);
        cases++;
        if (i === 0) assert.ok(out.ok, `${name}(${seed}) is a valid seed`);
        if (!out.ok) assert.ok(out.problem.length > 0, `${name}(${JSON.stringify(text)})`);
      }
    }
    assert.ok(cases >= 8000);
  });

  it('kind checks: scrambled documents never throw, and every problem starts with its field path', () => {
    const r = rng(42);
    let refused = 0;
    for (const [kind, body] of Object.entries(SAMPLES)) {
      const info = kindInfo(kind)!;
      const apiVersion = `${info.group}/${info.versions[0]}`;
      const doc = { apiVersion, kind, metadata: { name: 'x', namespace: 'app' }, ...(body as object) };
      assert.deepEqual(info.validate(doc), [], `${kind} sample is valid`);
      for (let i = 0; i < 1500; i++) {
        const bad = scramble(scramble(doc, r), r);
        const problems = info.validate(bad);
        for (const p of problems) assert.match(p, FIELD, `${kind}: ${p}`);
        if (problems.length > 0) refused++;
      }
    }
    // Every other kind too, on garbage.
    for (const k of KINDS)
      for (let i = 0; i < 100; i++)
        for (const p of k.validate(randomValue(r))) assert.match(p, FIELD, `${k.kind}: ${p}`);
    assert.ok(refused > 1000, `most scrambles are refused (${refused})`);
  });

  it('fail-closed policies never allow more, and never deny less, than the policy says', () => {
    const r = rng(7);
    const info = kindInfo('AuthorizationPolicy')!;
    const base = SAMPLES.AuthorizationPolicy as { spec: AuthorizationPolicy['spec'] };
    for (let i = 0; i < 2000; i++) {
      const action = (['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const)[i % 4];
      const doc = scramble(
        {
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: 'p', namespace: 'app' },
          spec: { ...base.spec, action, ...(action === 'CUSTOM' ? { provider: { name: 'x' } } : {}) },
        },
        r,
      ) as AuthorizationPolicy;
      const problems = info.validate(doc);
      if (problems.length === 0) continue;
      const served = failClosedPolicy(doc, problems);
      if (!served) continue;
      assert.deepEqual(served.invalid, problems);
      const original = JSON.stringify(doc.spec?.rules ?? []);
      for (const rule of served.spec?.rules ?? []) {
        if ((served.spec?.action ?? 'ALLOW') === 'ALLOW') {
          // Only whole, valid rules of the original survive.
          assert.ok(original.includes(JSON.stringify(rule)), JSON.stringify(rule));
        } else {
          // A widened rule only loses constraints: it is the original rule with fields or conditions removed.
          // `{}` matches every request: the widest rule, what a rule that is not even an object becomes.
          const from = Object.keys(rule).length === 0 || (doc.spec?.rules ?? []).some((o) => widens(rule, o));
          assert.ok(from, `${JSON.stringify(rule)} widens a rule of ${original}`);
        }
      }
      if ((served.spec?.action ?? 'ALLOW') !== 'ALLOW')
        assert.equal(served.spec?.rules?.length, doc.spec?.rules?.length, 'no DENY rule disappears');
    }
  });

  it('webhook review: malformed AdmissionReviews throw only the bad-review error; denials name the field', () => {
    const r = rng(99);
    const good = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u',
        operation: 'CREATE',
        object: {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'x', namespace: 'app' },
          ...(SAMPLES.HTTPRoute as object),
        },
      },
    };
    assert.equal(review(good).response.allowed, true);
    let denied = 0;
    for (let i = 0; i < 3000; i++) {
      const body = scramble(i % 3 === 0 ? scramble(good, r) : good, r);
      let out;
      try {
        out = review(body);
      } catch (e) {
        assert.equal((e as Error).constructor.name, 'BadReview', String(e));
        continue;
      }
      assert.equal(typeof out.response.uid, 'string');
      if (!out.response.allowed) {
        denied++;
        const msg = out.response.status?.message ?? '';
        assert.match(msg, /^configuration is invalid: /);
        for (const p of msg.slice('configuration is invalid: '.length).split('; ')) assert.match(p, FIELD, msg);
      }
    }
    assert.ok(denied > 50, `denials seen: ${denied}`);
  });
});
