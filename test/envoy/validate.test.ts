import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pack, prepare } from '../../src/envoy';
import { validateMessage } from '../../src/validate';

const paths = (v: { path: string; message: string }[]) =>
  v.map((x) => `${x.path.split('.').slice(-2).join('.')}: ${x.message}`);

describe('validate.rules checker', () => {
  it('accepts a valid resource', () => {
    const r = prepare('envoy.config.cluster.v3.Cluster', 'c', {
      name: 'c',
      type: 'EDS',
      connect_timeout: { seconds: 1 },
      eds_cluster_config: { eds_config: { ads: {} } },
    });
    assert.deepEqual(validateMessage('envoy.config.cluster.v3.Cluster', r.body), []);
  });

  it('reports string, duration, oneof and repeated violations with paths', () => {
    const c = prepare('envoy.config.cluster.v3.Cluster', '', { name: '', connect_timeout: { seconds: -1 } });
    assert.deepEqual(paths(validateMessage('envoy.config.cluster.v3.Cluster', c.body)), [
      'Cluster.name: must have at least 1 characters',
      'Cluster.connect_timeout: must be longer than 0s',
    ]);
    const r = prepare('envoy.config.route.v3.RouteConfiguration', 'r', {
      name: 'r',
      virtual_hosts: [
        { name: 'v', domains: ['*'], routes: [{ match: {}, route: { weighted_clusters: { clusters: [] } } }] },
      ],
    });
    assert.deepEqual(paths(validateMessage('envoy.config.route.v3.RouteConfiguration', r.body)), [
      'match.path_specifier: one of the choices is required',
      'weighted_clusters.clusters: needs at least 1 items',
    ]);
  });

  it('descends into typed_config Anys and flags deprecated fields', () => {
    const l = prepare('envoy.config.listener.v3.Listener', 'l', {
      name: 'l',
      filter_chains: [
        {
          filters: [
            {
              name: 't',
              typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
                stat_prefix: 's',
                cluster: 'c',
              }),
            },
          ],
        },
      ],
      deprecated_v1: { bind_to_port: { value: true } },
    });
    const v = validateMessage('envoy.config.listener.v3.Listener', l.body);
    assert.deepEqual(paths(v), ['Listener.deprecated_v1: deprecated field is set']);
  });

  it('exempts only the deprecated fields a consumer is named as needing, inside Anys too', () => {
    const c = prepare('envoy.config.cluster.v3.Cluster', 'c', {
      name: 'c',
      transport_socket: {
        name: 'tls',
        typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
          common_tls_context: {
            validation_context: { match_subject_alt_names: [{ exact: 'spiffe://td/ns/a/sa/b' }] },
          },
        }),
      },
    });
    const san = 'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext.match_subject_alt_names';
    const flagged = paths(validateMessage('envoy.config.cluster.v3.Cluster', c.body));
    assert.ok(
      flagged.some((p) => p.includes('match_subject_alt_names: deprecated field is set')),
      flagged.join('\n'),
    );
    const allowed = paths(
      validateMessage('envoy.config.cluster.v3.Cluster', c.body, { allowDeprecated: new Set([san]) }),
    );
    assert.ok(!allowed.some((p) => p.includes('match_subject_alt_names')), allowed.join('\n'));
    const other = paths(
      validateMessage('envoy.config.cluster.v3.Cluster', c.body, {
        allowDeprecated: new Set(['envoy.config.listener.v3.Listener.deprecated_v1']),
      }),
    );
    assert.deepEqual(other, flagged, 'an unrelated exemption changes nothing');
  });
});

describe('load-time checks beyond validate.rules', () => {
  const rc = (regex: string) =>
    prepare('envoy.config.route.v3.RouteConfiguration', 'r', {
      name: 'r',
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex } } }] },
              route: { cluster: 'c' },
            },
          ],
        },
      ],
    });

  it('refuses a safe_regex RE2 cannot compile, and accepts one it can', () => {
    const bad = validateMessage('envoy.config.route.v3.RouteConfiguration', rc('a(?=b)').body);
    assert.equal(bad.length, 1);
    assert.match(bad[0]!.path, /headers\[0\]\.string_match\.safe_regex\.regex$/);
    assert.match(bad[0]!.message, /not a valid RE2 regular expression/);
    assert.equal(bad[0]!.severity, undefined);
    assert.deepEqual(
      validateMessage('envoy.config.route.v3.RouteConfiguration', rc('^(?P<v>[a-z]+)\\d{1,3}$').body),
      [],
    );
  });

  it('reports an inline JWKS that does not parse as a warning, not a rejection', () => {
    const provider = (jwks: string) =>
      prepare('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', 'j', {
        providers: { p: { issuer: 'i', local_jwks: { inline_string: jwks } } },
      });
    const v = validateMessage(
      'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
      provider('{"keys": [').body,
    );
    assert.equal(v.length, 1);
    assert.match(v[0]!.path, /providers\[p\]\.local_jwks\.inline_string$/);
    assert.equal(v[0]!.severity, 'warn');
    const ok = '{"keys":[{"kty":"RSA","e":"AQAB","n":"xyz","kid":"k"}]}';
    assert.deepEqual(
      validateMessage('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', provider(ok).body),
      [],
    );
  });
});
