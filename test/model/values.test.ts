import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { kindInfo } from '../../src/model';
import { durationMs } from '../../src/model/jwks';
import {
  checkCondition,
  cidrContains,
  parseAuthzPath,
  parseCidr,
  parseGatewayDuration,
  parseGoDuration,
  parseHeaderName,
  parseHostname,
  parseIp,
  parseIpOrCidr,
  parseIstioDuration,
  parseJwks,
  parseJwksUri,
  parsePortString,
  parseRe2,
  parseServiceAccount,
  maskedBytes,
} from '../../src/model/values';

const problem = (r: { ok: boolean; problem?: string }) => (r.ok ? undefined : r.problem);

describe('value parsers (security.go: ValidateIPs, ValidatePorts; Gateway API CRD patterns)', () => {
  it('IPs: v4 in four decimal parts, v6, v4-mapped v6; nothing else', () => {
    assert.deepEqual(parseIp('10.0.0.1'), { ok: true, value: { family: 4, bytes: [10, 0, 0, 1], text: '10.0.0.1' } });
    const mapped = parseIp('::ffff:10.0.0.1');
    assert.ok(mapped.ok && mapped.value.family === 6 && mapped.value.bytes.length === 16);
    assert.ok(parseIp('2001:db8::1').ok);
    for (const bad of ['10.0.0.300', '10.1', '010.0.0.1', '0x0a.0.0.1', '::ffff:10.0.0.300', 'fe80::1%eth0', '', 'a'])
      assert.equal(problem(parseIp(bad)), `bad IP address (${bad})`, bad);
  });

  it('CIDRs: address and prefix length checked, the typo of the report refused', () => {
    const c = parseCidr('203.0.113.0/24');
    assert.ok(c.ok && c.value.prefixLen === 24);
    assert.ok(parseCidr('2001:db8::/32').ok);
    assert.equal(
      problem(parseCidr('203.0.113.0/24x')),
      'bad CIDR range (203.0.113.0/24x): bad bits after slash: "24x"',
    );
    assert.match(problem(parseCidr('10.0.0.0/33')) ?? '', /bad bits after slash/);
    assert.match(problem(parseCidr('::/129')) ?? '', /bad bits after slash/);
    assert.match(problem(parseCidr('10.0.0.300/8')) ?? '', /bad IP address/);
    const one = parseIpOrCidr('192.0.2.1');
    assert.ok(one.ok && one.value.prefixLen === 32);
  });

  it('ranges hold addresses of their own family only (netip.Prefix.Contains), and mask as Prefix.Masked', () => {
    const c = (t: string) => (parseCidr(t) as { ok: true; value: Parameters<typeof cidrContains>[0] }).value;
    const ip = (t: string) => (parseIp(t) as { ok: true; value: Parameters<typeof cidrContains>[1] }).value;
    assert.equal(cidrContains(c('10.1.0.0/16'), ip('10.1.255.3')), true);
    assert.equal(cidrContains(c('10.1.0.0/17'), ip('10.1.128.3')), false);
    assert.equal(cidrContains(c('2001:db8::/33'), ip('2001:db8:7fff::1')), true);
    assert.equal(cidrContains(c('0.0.0.0/0'), ip('::ffff:10.0.0.1')), false);
    assert.deepEqual(maskedBytes(c('10.1.2.3/12')), [10, 0, 0, 0]);
    // ipaddr.js, which explain's matchers used, also read `10.1` and `0x0a.0.0.1` as addresses; netip does not.
    assert.equal(parseIp('10.1').ok || parseIp('0x0a.0.0.1').ok, false);
  });

  it('ports written as strings', () => {
    assert.deepEqual(parsePortString('8080'), { ok: true, value: 8080 });
    for (const bad of ['80x', '-1', '65536', '', ' 80', '1e3'])
      assert.equal(problem(parsePortString(bad)), `bad port (${bad})`);
  });

  it('durations: one parser for GEP-2257, one for Istio', () => {
    assert.deepEqual(parseGatewayDuration('1h30m'), { ok: true, value: 5_400_000 });
    assert.deepEqual(parseGatewayDuration('250ms'), { ok: true, value: 250 });
    assert.deepEqual(parseGatewayDuration('0s'), { ok: true, value: 0 });
    for (const bad of ['10parsecs', '1.5s', '123456s', '1h1h1h1h1h', '-1s', '', '10'])
      assert.match(problem(parseGatewayDuration(bad)) ?? '', /^invalid duration/, bad);
    assert.deepEqual(parseIstioDuration('1.5s'), { ok: true, value: 1500 });
    assert.deepEqual(parseIstioDuration('1h2m3s'), { ok: true, value: 3_723_000 });
    assert.match(problem(parseIstioDuration('10parsecs')) ?? '', /^invalid duration/);
    assert.equal(problem(parseIstioDuration('0s')), 'duration must be greater than 1ms');
    assert.equal(problem(parseIstioDuration('1500us')), 'only durations to ms precision are supported');
    // Go's form for flags takes what the Istio form refuses.
    assert.deepEqual(parseGoDuration('.5s'), { ok: true, value: 500 });
    assert.deepEqual(parseGoDuration('0'), { ok: true, value: 0 });
    assert.equal(parseIstioDuration('.5s').ok, false);
    assert.equal(parseGoDuration('5').ok, false);
  });

  it('a JWT rule timeout is an Istio duration like any other (validateJwtRule)', () => {
    // The JWKS resolver once read only `<n>s`/`<n>ms` and fell back to its default for `1m`.
    assert.equal(durationMs('1m'), 60_000);
    assert.equal(durationMs('0.2s'), 200);
    // ...and took a timeout validation refuses (below 1ms, or finer than ms).
    assert.equal(durationMs('0.0001s'), undefined);
    assert.equal(durationMs(' 5s'), undefined);
  });

  it('regexes: RE2 refuses what Envoy cannot compile', () => {
    assert.ok(parseRe2('^/api/v[0-9]+/.*$').ok);
    assert.ok(parseRe2('(?i)abc').ok);
    for (const bad of ['/(foo', '[a-', '(?=a)', '(?!a)', '(?<=a)b', '(a)\\1', 'a**', ''])
      assert.ok(!parseRe2(bad).ok, bad);
    assert.equal(problem(parseRe2('/(foo')), 'invalid regex: error parsing regexp: missing closing ): `/(foo`');
  });

  it('inline JWKS must be a key set', () => {
    assert.ok(parseJwks('{"keys":[{"kty":"RSA","e":"AQAB","n":"x"}]}').ok);
    assert.equal(problem(parseJwks('{not json')), 'jwks parse error: invalid JSON at position 1');
    assert.equal(problem(parseJwks('[]')), 'jwks parse error: not a JSON object');
    assert.equal(problem(parseJwks('{"kty":"RSA"}')), 'jwks parse error: no `keys` list');
    assert.equal(problem(parseJwks('{"keys":[{}]}')), 'jwks parse error: keys[0] has no "kty"');
    assert.ok(parseJwksUri('https://example.com/jwks').ok);
    assert.equal(problem(parseJwksUri('ftp://example.com/jwks')), 'URI scheme ftp is not supported');
  });

  it('header names, hostnames, service accounts, paths, conditions', () => {
    assert.ok(parseHeaderName('x-user').ok);
    assert.match(problem(parseHeaderName('x user')) ?? '', /^invalid header name "x user"/);
    assert.ok(parseHostname('*.example.com').ok);
    for (const bad of ['Echo_Service', '*', 'a.*.com', '10.0.0.1', 'x'.repeat(254)])
      assert.match(problem(parseHostname(bad)) ?? '', /^invalid hostname/, bad);
    assert.deepEqual(parseServiceAccount('ns/sa'), { ok: true, value: { namespace: 'ns', name: 'sa' } });
    assert.match(problem(parseServiceAccount('a/b/c')) ?? '', /expected format/);
    assert.equal(problem(parseServiceAccount('ns/*')), 'wildcard not allowed');
    assert.ok(parseAuthzPath('/api/{*}/x/{**}').ok);
    assert.match(problem(parseAuthzPath('/a/{**}/b/{*}')) ?? '', /\{\*\*\} is not the last operator/);
    assert.match(problem(parseAuthzPath('/a/{x}')) ?? '', /beyond a supported path template/);
    assert.equal(checkCondition('source.ip', ['10.0.0.1/8']), undefined);
    assert.equal(checkCondition('source.ip', ['10.0.0.300']), 'bad IP address (10.0.0.300)');
    assert.equal(checkCondition('request.headers', ['x']), 'bad key (request.headers): should have format a[b]');
    assert.equal(checkCondition('destination.port', ['80x']), 'bad port (80x)');
    assert.equal(checkCondition('foo.bar', ['x']), 'unknown attribute: foo.bar');
  });
});

const doc = (kind: string, apiVersion: string, spec: unknown) => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'app' },
  spec,
});
const ap = (spec: unknown) =>
  kindInfo('AuthorizationPolicy')!.validate(doc('AuthorizationPolicy', 'security.istio.io/v1', spec));
const route = (spec: unknown) =>
  kindInfo('HTTPRoute')!.validate(doc('HTTPRoute', 'gateway.networking.k8s.io/v1', spec));

describe('rules istiod and the Gateway API CRDs enforce, with the field path', () => {
  it('AuthorizationPolicy: ValidateAuthorizationPolicy', () => {
    assert.deepEqual(ap({ rules: [{ from: [{ source: { ipBlocks: ['203.0.113.0/24x'] } }] }] }), [
      'spec.rules[0].from[0].source.ipBlocks[0]: bad CIDR range (203.0.113.0/24x): bad bits after slash: "24x"',
    ]);
    assert.deepEqual(ap({ rules: [{ from: [] }] }), ['spec.rules[0].from: `from` must not be empty']);
    assert.deepEqual(ap({ rules: [{ from: [{ source: {} }] }] }), [
      'spec.rules[0].from[0].source: `from.source` must not be empty',
    ]);
    assert.deepEqual(ap({ rules: [{ from: [{ source: { namespaces: ['a'], serviceAccounts: ['b'] } }] }] }), [
      'spec.rules[0].from[0].source: cannot set serviceAccounts with namespaces or principals',
    ]);
    assert.deepEqual(ap({ action: 'DENY' }), [
      'spec: DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
    ]);
    assert.deepEqual(ap({ action: 'ALLOW', provider: { name: 'x' }, rules: [{}] }), [
      'spec.provider: `provider` must not be with non CUSTOM action, found ALLOW',
    ]);
    assert.deepEqual(
      ap({ action: 'CUSTOM', provider: { name: 'x' }, rules: [{ from: [{ source: { principals: ['p'] } }] }] }),
      ['spec.rules[0].from[0].source.principals: principals is currently not supported with CUSTOM action'],
    );
    assert.deepEqual(ap({ rules: [{ when: [{ key: 'source.ip', values: ['10.0.0.300'] }] }] }), [
      'spec.rules[0].when[0].values: invalid `value` for `key` source.ip: bad IP address (10.0.0.300)',
    ]);
    assert.deepEqual(ap({ selector: { matchLabels: { a: 'b' } }, targetRefs: [{ kind: 'Service', name: 's' }] }), [
      'spec: only one of targetRefs or workloadSelector can be set',
    ]);
  });

  it('RequestAuthentication: validateJwtRule', () => {
    const ra = (rule: unknown) =>
      kindInfo('RequestAuthentication')!.validate(
        doc('RequestAuthentication', 'security.istio.io/v1', { jwtRules: [rule] }),
      );
    assert.deepEqual(ra({ jwks: '{not json' }), [
      'spec.jwtRules[0].jwks: jwks parse error: invalid JSON at position 1',
      'spec.jwtRules[0].issuer: issuer or jwksUri must be non-empty string',
    ]);
    assert.deepEqual(ra({ issuer: 'i', audiences: [''], outputClaimToHeaders: [{ header: 'a b', claim: 'c' }] }), [
      'spec.jwtRules[0].audiences[0]: audience must be non-empty string',
      'spec.jwtRules[0].outputClaimToHeaders[0].header: invalid header name "a b": must be an HTTP token (^[A-Za-z0-9!#$%&\'*+\\-.^_`|~]+$)',
    ]);
  });

  it('HTTPRoute: the CRD patterns and CEL rules', () => {
    const rule = (r: unknown) => route({ rules: [r] });
    assert.deepEqual(rule({ timeouts: { request: '10s', backendRequest: '20s' } }), [
      'spec.rules[0].timeouts.backendRequest: backendRequest timeout cannot be longer than request timeout',
    ]);
    assert.deepEqual(rule({ timeouts: { request: '0s', backendRequest: '20s' } }), []);
    assert.deepEqual(rule({ matches: [{ path: { type: 'PathPrefix', value: 'api//x' } }] }), [
      "spec.rules[0].matches[0].path.value: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
      "spec.rules[0].matches[0].path.value: must not contain '//' when type one of ['Exact', 'PathPrefix']",
    ]);
    assert.deepEqual(rule({ matches: [{ queryParams: [{ type: 'RegularExpression', name: 'q', value: '(?=x)' }] }] }), [
      'spec.rules[0].matches[0].queryParams[0].value: invalid regex: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ]);
    assert.deepEqual(rule({ matches: [{ headers: [{ name: 'bad header', value: 'v' }] }] }).length, 1);
    assert.deepEqual(rule({ backendRefs: [{ name: 'b', port: 80, weight: 1_000_001 }] }), [
      'spec.rules[0].backendRefs[0].weight: weight must be an integer in [0, 1000000]',
    ]);
    const grpc = kindInfo('GRPCRoute')!.validate(
      doc('GRPCRoute', 'gateway.networking.k8s.io/v1', {
        rules: [{ matches: [{ method: { type: 'RegularExpression', service: 'a(', method: 'M' } }] }],
      }),
    );
    assert.match(grpc[0] ?? '', /^spec\.rules\[0\]\.matches\[0\]\.method\.service: invalid regex/);
  });

  it('Service, Pod and EndpointSlice addresses', () => {
    const svc = (clusterIP: string) =>
      kindInfo('Service')!.validate({ ...doc('Service', 'v1', { clusterIP, ports: [{ port: 80 }] }) });
    assert.deepEqual(svc('None'), []);
    assert.deepEqual(svc('10.96.0.300'), ['spec.clusterIP: bad IP address (10.96.0.300)']);
    const pod = kindInfo('Pod')!.validate({
      ...doc('Pod', 'v1', {}),
      status: { podIP: '10.244.0.1', podIPs: [{ ip: 'x' }] },
    });
    assert.deepEqual(pod, ['status.podIPs[0].ip: bad IP address (x)']);
    const slice = kindInfo('EndpointSlice')!.validate({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 's', namespace: 'app' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.1', '2001:db8::1', '10.244.0.256'] }],
    });
    assert.deepEqual(slice, [
      'endpoints[0].addresses[1]: not an IPv4 address',
      'endpoints[0].addresses[2]: bad IP address (10.244.0.256)',
    ]);
  });

  it('mesh config ext_authz providers: extensionprovider.go validateExtensionProvider', () => {
    const cm = (mesh: string) =>
      kindInfo('ConfigMap')!.validate({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: 'istio-system' },
        data: { mesh },
      });
    assert.deepEqual(
      cm(
        'extensionProviders:\n- name: a\n  envoyExtAuthzGrpc: {service: ext.foo.svc.cluster.local, port: 9000, timeout: 2s}',
      ),
      [],
    );
    assert.deepEqual(
      cm(
        'extensionProviders:\n- name: a\n  envoyExtAuthzHttp: {service: "", port: 0, timeout: 10parsecs, statusOnError: "299", pathPrefix: x}\n- name: a',
      ),
      [
        'data.mesh.extensionProviders[0].envoyExtAuthzHttp.port: invalid service port: port number 0 must be in the range 1..65535',
        'data.mesh.extensionProviders[0].envoyExtAuthzHttp.service: service must not be empty',
        'data.mesh.extensionProviders[0].envoyExtAuthzHttp.statusOnError: unsupported statusOnError value 299',
        'data.mesh.extensionProviders[0].envoyExtAuthzHttp.timeout: invalid duration "10parsecs": use a protobuf duration such as 1.5s, or 1h2m3s',
        'data.mesh.extensionProviders[0].envoyExtAuthzHttp.pathPrefix: pathPrefix should begin with `/` but found "x"',
        'data.mesh.extensionProviders[1].name: duplicate extension provider name a',
      ],
    );
    assert.match(cm('a: [')[0] ?? '', /^data\.mesh: cannot parse/);
    // An unknown enum value fails istiod's mesh config parse (telemetry_logging.go reads the field).
    assert.deepEqual(cm('accessLogEncoding: XML\naccessLogFormat: [a]'), [
      'data.mesh.accessLogEncoding: must be TEXT or JSON, not "XML"',
      'data.mesh.accessLogFormat: must be a string',
    ]);
    assert.deepEqual(cm('accessLogEncoding: JSON\naccessLogFormat: \'{"a": "%PROTOCOL%"}\''), []);
    // defaultDestinationRuleExportTo: a list of exportTo entries (visibility.go: Instance.Validate).
    assert.deepEqual(cm('defaultDestinationRuleExportTo: ["."]'), []);
    assert.deepEqual(cm('defaultDestinationRuleExportTo: "."'), [
      'data.mesh.defaultDestinationRuleExportTo: must be a list',
    ]);
    assert.deepEqual(cm('defaultDestinationRuleExportTo: ["~", Bad_NS, 3]'), [
      'data.mesh.defaultDestinationRuleExportTo[0]: only .,*, or a valid DNS 1123 label is allowed as exportTo entry',
      'data.mesh.defaultDestinationRuleExportTo[1]: only .,*, or a valid DNS 1123 label is allowed as exportTo entry',
      'data.mesh.defaultDestinationRuleExportTo[2]: must be a string',
    ]);
    // defaultVirtualServiceExportTo: the same rules (vs-export.ts reads it).
    assert.deepEqual(cm('defaultVirtualServiceExportTo: [".", "*", other]'), []);
    assert.deepEqual(cm('defaultVirtualServiceExportTo: ["not a namespace"]'), [
      'data.mesh.defaultVirtualServiceExportTo[0]: only .,*, or a valid DNS 1123 label is allowed as exportTo entry',
    ]);
    // defaultHttpRetryPolicy: an HTTPRetry (route.go reads it for routes without retries).
    assert.deepEqual(cm('defaultHttpRetryPolicy: {attempts: 3, retryOn: "5xx,503", perTryTimeout: 2s}'), []);
    assert.deepEqual(
      cm('defaultHttpRetryPolicy: {attempts: -1, retryOn: [5xx], backoff: soon, retryRemoteLocalities: yes please}'),
      [
        'data.mesh.defaultHttpRetryPolicy.attempts: attempts cannot be negative',
        'data.mesh.defaultHttpRetryPolicy.retryOn: must be a string',
        'data.mesh.defaultHttpRetryPolicy.retryRemoteLocalities: must be true or false',
        'data.mesh.defaultHttpRetryPolicy.backoff: invalid duration "soon": use a protobuf duration such as 1.5s, or 1h2m3s',
      ],
    );
    assert.deepEqual(cm('defaultHttpRetryPolicy: 3'), ['data.mesh.defaultHttpRetryPolicy: must be an object']);
  });

  it('ServiceEntry addresses and Gateway listener hostnames', () => {
    const se = kindInfo('ServiceEntry')!.validate(
      doc('ServiceEntry', 'networking.istio.io/v1', { hosts: ['a.example.com'], addresses: ['10.0.0.300'] }),
    );
    assert.deepEqual(se, ['spec.addresses[0]: bad IP address (10.0.0.300)']);
    const gw = kindInfo('Gateway')!.validate(
      doc('Gateway', 'gateway.networking.k8s.io/v1', {
        gatewayClassName: 'istio-waypoint',
        listeners: [{ name: 'm', port: 15008, protocol: 'HBONE', hostname: 'A.example.com' }],
      }),
    );
    assert.match(gw[0] ?? '', /^spec\.listeners\[0\]\.hostname: invalid hostname "A\.example\.com"/);
    const addr = kindInfo('Gateway')!.validate(
      doc('Gateway', 'gateway.networking.k8s.io/v1', {
        gatewayClassName: 'istio-waypoint',
        listeners: [{ name: 'm', port: 15008, protocol: 'HBONE' }],
        addresses: [{ value: '10.0.0.300' }, { type: 'Hostname', value: 'wp.example.com' }],
      }),
    );
    assert.deepEqual(addr, ['spec.addresses[0].value: value must be an IP address']);
  });
});
