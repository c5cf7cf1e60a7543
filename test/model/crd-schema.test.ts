// CRD schemas and `x-kubernetes-validations` rules, checked as the API server
// checks a custom resource (apiextensions-apiserver: schema validation, then
// cel.Validator.Validate per schema node). The CRDs here are small ones of
// our own; the upstream ones are an optional extra at the end.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadAll } from 'js-yaml';
import { compileSchema, toJsonSchema } from '../../src/model/crd-schema';
import { CrdRegistry } from '../../src/model/crd-registry';
import { crdOf, routeSchema } from '../support/crds';

const route = (spec: unknown) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'app' },
  spec,
});

describe('CRD schemas and CEL rules', () => {
  const schema = compileSchema(routeSchema);

  it('a valid object has no problems, with defaults applied before rules', () => {
    assert.deepEqual(
      schema.validate(route({ hostnames: ['a.example'], rules: [{ name: 'x', backendRefs: [{}], weight: 2 }] })),
      [],
    );
  });

  it('schema keywords answer in the API server words, at the field path', () => {
    const got = schema.validate(
      route({
        hostnames: ['Bad_Host', 'b', 'c'],
        rules: [{ weight: -1, filters: [{ type: 'Mirror' }, {}] }],
        port: true,
      }),
    );
    assert.deepEqual(got, [
      'spec.hostnames: Too many: 3: must have at most 2 items',
      `spec.hostnames[0]: Invalid value: "Bad_Host": spec.hostnames[0] in body should match '${routeSchema.properties.spec.properties.hostnames.items.pattern}'`,
      'spec.rules[0].weight: Invalid value: -1: spec.rules[0].weight in body should be greater than or equal to 0',
      'spec.rules[0].filters[0].type: Unsupported value: "Mirror": supported values: "RequestRedirect", "URLRewrite"',
      'spec.rules[0].filters[1].type: Required value',
      'spec.port: Invalid value: true: must match a schema in anyOf',
    ]);
  });

  it('CEL rules: message, failed rule, fieldPath, and list-map keys', () => {
    const got = schema.validate(
      route({
        rules: [
          { name: 'a', filters: [{ type: 'RequestRedirect' }], backendRefs: [{}], kind: 'Pod' },
          { name: 'a', timeout: '2h' },
        ],
        labels: { ok: 'abc', long: 'abcdefgh' },
      }),
    );
    assert.deepEqual(got, [
      'spec.rules[1]: Duplicate value: {"name":"a"}',
      'spec.rules[0]: Invalid value: "object": a redirect and backends exclude each other',
      `spec.rules[0].kind: Invalid value: "object": failed rule: self.kind == 'Service'`,
      'spec.rules[1]: Invalid value: "object": timeout at most 1h',
      'spec.labels.long: Invalid value: "object": failed rule: self.size() <= 5',
    ]);
  });

  it('transition rules (oldSelf) are skipped: there is no stored object at load', () => {
    assert.deepEqual(schema.validate(route({ rules: [{ name: 'x', weight: 5 }] })), []);
  });

  it('the Kubernetes CEL library: isIP, isCIDR, url, getScheme, strings, find', () => {
    const s = compileSchema({
      type: 'object',
      properties: {
        v: {
          type: 'string',
          'x-kubernetes-validations': [
            { rule: '!isIP(self) || ip(self).family() == 4', message: 'v4 only' },
            { rule: "!self.startsWith('http') || url(self).getScheme() in ['http', 'https']", message: 'scheme' },
            { rule: "!self.startsWith('http') || isURL(self)", message: 'url' },
            { rule: "self.find('[0-9]+') != '666'", message: 'no 666' },
            { rule: "!self.contains('/') || !isCIDR(self) || cidr(self).prefixLength() >= 8", message: 'prefix' },
            { rule: "self.lowerAscii() == self || self.split('-').size() > 0", message: 'strings' },
          ],
        },
      },
    });
    const problems = (v: string) => s.validate({ v }).map((p) => p.replace(/^v: Invalid value: "object": /, ''));
    assert.deepEqual(problems('10.0.0.1'), []);
    assert.deepEqual(problems('::1'), ['v4 only']);
    assert.deepEqual(problems('https://example.com/x'), []);
    assert.deepEqual(problems('httpx://example.com/x'), ['scheme']);
    assert.deepEqual(problems('a666b'), ['no 666']);
    assert.deepEqual(problems('10.0.0.0/4'), ['prefix']);
    assert.deepEqual(problems('10.0.0.0/24'), []);
  });

  it('an evaluation error is a problem naming the rule, not a crash', () => {
    const s = compileSchema({ type: 'object', 'x-kubernetes-validations': [{ rule: 'self.missing == 1' }] });
    const [p] = s.validate({});
    assert.match(p ?? '', /^object: Invalid value: rule "self.missing == 1": evaluation error: /);
  });

  it('a rule that does not compile is reported and the rest still applies', () => {
    const problems: string[] = [];
    const s = compileSchema(
      {
        type: 'object',
        properties: { n: { type: 'integer', maximum: 3 } },
        'x-kubernetes-validations': [{ rule: 'self.n >' }, { rule: 'self.n != 2', message: 'not two' }],
      },
      problems,
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /rule "self\.n >" does not compile/);
    assert.deepEqual(s.validate({ n: 2 }), ['object: Invalid value: "object": not two']);
    assert.deepEqual(s.validate({ n: 4 }), ['n: Invalid value: 4: n in body should be less than or equal to 3']);
  });

  it('OpenAPI 3.0 spellings become JSON Schema: nullable, exclusiveMinimum, int-or-string, set lists', () => {
    assert.deepEqual(
      toJsonSchema({ type: 'integer', minimum: 0, exclusiveMinimum: true, nullable: true, description: 'x' }),
      {
        type: ['integer', 'null'],
        exclusiveMinimum: 0,
      },
    );
    assert.deepEqual(toJsonSchema({ type: 'array', 'x-kubernetes-list-type': 'set' }), {
      type: 'array',
      uniqueItems: true,
    });
  });
});

describe('CRD registry', () => {
  it('checks an object only against the version its CRD serves, and follows replacement and removal', () => {
    const reg = new CrdRegistry();
    const crd = crdOf('gateway.networking.k8s.io', 'HTTPRoute', 'httproutes', routeSchema);
    const bad = route({ hostnames: ['Bad_Host'] });
    assert.deepEqual(reg.validate(bad), []);
    const r = reg.replace('dir', [crd, { kind: 'Nope' }]);
    assert.deepEqual(r.changed, ['gateway.networking.k8s.io/v1/HTTPRoute']);
    assert.equal(r.problems.length, 1);
    assert.equal(reg.validate(bad).length, 1);
    assert.deepEqual(reg.validate({ ...bad, apiVersion: 'gateway.networking.k8s.io/v1beta1' }), []);
    assert.deepEqual(reg.replace('dir', [crd]).changed, [], 'the same CRD again changes nothing');
    assert.deepEqual(reg.replace('dir', []).changed, ['gateway.networking.k8s.io/v1/HTTPRoute']);
    assert.deepEqual(reg.validate(bad), []);
  });
});

// Optional: the CRDs Gateway API and Istio ship, when a copy is at hand.
const SHARED = process.env.CRDS_DIR ?? join(__dirname, '..', '..', '..', '..', 'shared', 'crds');
describe('upstream CRDs (optional)', { skip: !existsSync(SHARED) && `no CRDs at ${SHARED}` }, () => {
  it('compiles every schema and rule, and enforces HTTPRoute rules users meet', () => {
    const docs: unknown[] = [];
    for (const d of readdirSync(SHARED))
      for (const f of readdirSync(join(SHARED, d)).filter((x) => x.endsWith('.yaml')))
        docs.push(...loadAll(readFileSync(join(SHARED, d, f), 'utf8')).filter(Boolean));
    const reg = new CrdRegistry();
    reg.replace('shared', docs);
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'app' },
      spec: {
        parentRefs: [{ name: 'w', kind: 'Service', group: '' }],
        rules: [{ backendRefs: [{ name: 'a', port: 80 }], timeouts: { request: '1s', backendRequest: '2s' } }],
      },
    };
    const got = reg.validate(route);
    assert.equal(got.length, 1, got.join('\n'));
    assert.match(
      got[0] ?? '',
      /^spec\.rules\[0\]\.timeouts: .*backendRequest timeout cannot be longer than request timeout/,
    );
    assert.deepEqual(reg.compileProblems(), []);
  });
});
