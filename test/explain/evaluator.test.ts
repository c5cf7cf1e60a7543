// The evaluator's Envoy rules on small hand-written configurations: the
// places where Envoy's behaviour is easy to get wrong.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { chooseChain } from '../../src/explain/chain';
import { evaluateJwt, JWT_ERRORS } from '../../src/explain/jwt';
import { headerMatches } from '../../src/explain/matchers';
import { evaluateRbac, parsePolicyName } from '../../src/explain/rbac';
import { pickVirtualHost, routeMismatch } from '../../src/explain/route-match';
import { NOW, signedToken } from './support';

const req = (path: string, headers: [string, string][] = []) => ({
  method: 'GET',
  path,
  authority: 'echo',
  headers: new Map(headers),
});

describe('explain evaluator', () => {
  it('picks virtual hosts as Envoy does: exact, then longest suffix wildcard, then prefix wildcard, then *', () => {
    const vhosts = [
      { name: 'any', domains: ['*'] },
      { name: 'prefix', domains: ['api.*'] },
      { name: 'suffix', domains: ['*.example.com'] },
      { name: 'longer', domains: ['*.api.example.com'] },
      { name: 'exact', domains: ['api.example.com'] },
    ];
    const pick = (h: string) => pickVirtualHost(vhosts, h)?.vhost.name;
    assert.equal(pick('api.example.com'), 'exact');
    assert.equal(pick('v1.api.example.com'), 'longer');
    assert.equal(pick('www.example.com'), 'suffix');
    assert.equal(pick('api.internal'), 'prefix');
    assert.equal(pick('other'), 'any');
  });

  it('matches headers as Envoy does when they are absent or inverted', () => {
    const h = new Map([['x-a', 'abc']]);
    assert.equal(headerMatches({ name: 'x-b', stringMatch: { exact: '' } }, h), false, 'absent does not match');
    assert.equal(headerMatches({ name: 'x-b', invertMatch: true, stringMatch: { exact: 'z' } }, h), false);
    assert.equal(headerMatches({ name: 'x-b', presentMatch: false }, h), true, 'present_match false matches absence');
    assert.equal(
      headerMatches(
        { name: 'x-b', invertMatch: true, treatMissingHeaderAsEmpty: true, stringMatch: { prefix: 'a' } },
        h,
      ),
      true,
    );
    assert.equal(headerMatches({ name: 'X-A', stringMatch: { prefix: 'AB', ignoreCase: true } }, h), true);
  });

  it('keeps a path-separated prefix to whole segments and a prefix to the raw path', () => {
    assert.equal(routeMismatch({ pathSeparatedPrefix: '/api' }, req('/api/x')), undefined);
    assert.equal(routeMismatch({ pathSeparatedPrefix: '/api' }, req('/api?q=1')), undefined);
    assert.match(routeMismatch({ pathSeparatedPrefix: '/api' }, req('/apix')) ?? '', /not \/api or below/);
    assert.equal(routeMismatch({ prefix: '/ap' }, req('/apix')), undefined);
    assert.match(
      routeMismatch({ safeRegex: { regex: '/a+' } }, req('/aab')) ?? '',
      /regex/,
      'regexes match the whole path',
    );
  });

  it('walks an IP matcher to its most specific range, then its fallback', () => {
    const action = (name: string) => ({ action: { name } });
    const listener = {
      filterChainMatcher: {
        matcherTree: {
          input: { typedConfig: { '@type': 'x.DestinationIPInput' } },
          customMatch: {
            typedConfig: {
              rangeMatchers: [
                { ranges: [{ addressPrefix: '10.0.0.0', prefixLen: 8 }], onMatch: action('wide') },
                {
                  ranges: [{ addressPrefix: '10.1.0.0', prefixLen: 16 }],
                  onMatch: {
                    matcher: {
                      matcherTree: {
                        input: { typedConfig: { '@type': 'x.DestinationPortInput' } },
                        exactMatchMap: { map: { '80': action('narrow-80') } },
                      },
                      onNoMatch: action('narrow-other'),
                    },
                  },
                },
              ],
            },
          },
        },
      },
    };
    const chain = (ip: string, port: number) =>
      chooseChain(listener, { destIp: ip, destPort: port, transportProtocol: 'raw_buffer' }).chain;
    assert.equal(chain('10.1.2.3', 80), 'narrow-80');
    assert.equal(chain('10.1.2.3', 81), 'narrow-other');
    assert.equal(chain('10.2.2.3', 80), 'wide');
    assert.equal(chain('192.168.0.1', 80), undefined);
  });

  it('lets ALLOW pass only on a match, DENY stop on one, LOG and shadow rules never stop', () => {
    const policy = {
      permissions: [{ header: { name: ':method', stringMatch: { exact: 'GET' } } }],
      principals: [{ any: true }],
    };
    const ctx = (method: string) => ({
      destIp: '10.0.0.1',
      destPort: 80,
      filterState: new Map<string, string>(),
      http: { headers: new Map([[':method', method]]), path: '/' },
      metadata: new Map(),
    });
    const run = (action: string, method: string) =>
      evaluateRbac({ rules: { action, policies: { p: policy } } }, ctx(method)).results[0]?.allowed;
    assert.deepEqual([run('ALLOW', 'GET'), run('ALLOW', 'POST')], [true, false]);
    assert.deepEqual([run('DENY', 'GET'), run('DENY', 'POST')], [false, true]);
    assert.deepEqual([run('LOG', 'GET'), run('LOG', 'POST')], [true, true]);
    const shadow = evaluateRbac(
      { shadowRules: { action: 'DENY', policies: { p: policy } }, shadowRulesStatPrefix: 'x_' },
      ctx('GET'),
    );
    assert.equal(shadow.results[0]?.mode, 'shadow');
    assert.deepEqual(shadow.metadata, { x_shadow_effective_policy_id: 'p', x_shadow_engine_result: 'denied' });
    assert.deepEqual(parsePolicyName('istio-ext-authz-my-prov-ns[a]-policy[b]-rule[2]'), {
      namespace: 'a',
      policy: 'b',
      rule: 2,
      provider: 'my-prov',
    });
  });

  it('verifies a token against inline keys and puts its normalized payload in metadata', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const config = {
      providers: {
        p: {
          issuer: 'me',
          audiences: ['svc'],
          localJwks: { inlineString: JSON.stringify({ keys: [jwk] }) },
          payloadInMetadata: 'payload',
          normalizePayloadInMetadata: { spaceDelimitedClaims: ['scope'] },
        },
      },
      rules: [{ match: { prefix: '/' }, requires: { providerName: 'p' } }],
    };
    const withToken = (t: string) => req('/', [['authorization', `Bearer ${t}`]]);
    const good = evaluateJwt(config, withToken(signedToken({ iss: 'me', aud: 'svc', scope: 'a b' }, privateKey)), NOW);
    assert.equal(good.ok, true, good.error);
    assert.deepEqual(good.payload?.scope, ['a', 'b']);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = evaluateJwt(config, withToken(signedToken({ iss: 'me', aud: 'svc' }, other)), NOW);
    assert.equal(forged.error, JWT_ERRORS.signature);
    assert.equal(evaluateJwt(config, req('/'), NOW).error, JWT_ERRORS.missing, 'a provider requirement needs a token');
  });
});
