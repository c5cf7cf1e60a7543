// istiod's EnvoyFilter rules (envoyfilter/envoyfilter.go: ValidateEnvoyFilter,
// xds/xds.go: BuildXDSObjectFromStruct): each family's refusal as a user reads
// it, and the valid document beside it still loaded.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseManifestFile } from '../../src/watch/parse';
import { describeError } from '../../src/watch/source';

function load(bad: string, good: string) {
  const r = parseManifestFile('in.yaml', `${bad}---\n${good}`);
  return { errors: r.errors.map(describeError), names: r.docs.map((d) => d.object.metadata.name) };
}

const ef = (name: string, body: string) =>
  `apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ${name}, namespace: app}\nspec:\n${body}`;
const patch = (p: string) => `  configPatches:\n  - ${p}\n`;
const GOOD = ef(
  'good',
  patch(
    '{applyTo: CLUSTER, match: {cluster: {service: a.app.svc.cluster.local}}, patch: {operation: MERGE, value: {connect_timeout: 5s}}}',
  ),
);

describe('istiod rules: EnvoyFilter (envoyfilter.go: ValidateEnvoyFilter)', () => {
  const cases: [string, string, string][] = [
    [
      'missing applyTo',
      patch('{patch: {operation: MERGE, value: {}}}'),
      'spec.configPatches[0].applyTo: Envoy filter: missing applyTo',
    ],
    ['missing patch', patch('{applyTo: CLUSTER}'), 'spec.configPatches[0].patch: Envoy filter: missing patch'],
    [
      'missing operation',
      patch('{applyTo: CLUSTER, patch: {value: {}}}'),
      'spec.configPatches[0].patch.operation: Envoy filter: missing patch operation',
    ],
    [
      'MERGE without value',
      patch('{applyTo: CLUSTER, patch: {operation: MERGE}}'),
      'spec.configPatches[0].patch.value: Envoy filter: missing patch value for non-remove operation',
    ],
    [
      'proxyVersion regex',
      patch("{applyTo: CLUSTER, match: {proxy: {proxyVersion: '1\\.2(('}}, patch: {operation: REMOVE}}"),
      'spec.configPatches[0].match.proxy.proxyVersion: Envoy filter: invalid regex for proxy version, [error parsing regexp: missing closing ): `1\\.2((`]',
    ],
    [
      'listener class with a cluster match',
      patch('{applyTo: HTTP_FILTER, match: {cluster: {name: x}}, patch: {operation: REMOVE}}'),
      'spec.configPatches[0].match: Envoy filter: applyTo for listener class objects cannot have non listener match',
    ],
    [
      'filter match without a name',
      patch('{applyTo: NETWORK_FILTER, match: {listener: {filterChain: {filter: {}}}}, patch: {operation: REMOVE}}'),
      'spec.configPatches[0].match.listener.filterChain.filter.name: Envoy filter: filter match has no name to match on',
    ],
    [
      'subFilter outside HTTP_FILTER',
      patch(
        '{applyTo: NETWORK_FILTER, match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}, patch: {operation: REMOVE}}',
      ),
      'spec.configPatches[0].match.listener.filterChain.filter.subFilter: Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only',
    ],
    [
      'subFilter under a filter other than the HCM',
      patch(
        '{applyTo: HTTP_FILTER, match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {name: x}}}}}, patch: {operation: REMOVE}}',
      ),
      'spec.configPatches[0].match.listener.filterChain.filter.name: Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager',
    ],
    [
      'route class with a listener match',
      patch('{applyTo: HTTP_ROUTE, match: {listener: {portNumber: 80}}, patch: {operation: REMOVE}}'),
      'spec.configPatches[0].match: Envoy filter: applyTo for http route class objects cannot have non route configuration match',
    ],
    [
      'cluster with a route match',
      patch('{applyTo: CLUSTER, match: {routeConfiguration: {name: x}}, patch: {operation: REMOVE}}'),
      'spec.configPatches[0].match: Envoy filter: applyTo for cluster class objects cannot have non cluster match',
    ],
    [
      'value of the wrong type for the applyTo message',
      patch('{applyTo: CLUSTER, patch: {operation: MERGE, value: {connect_timeout: 5}}}'),
      'spec.configPatches[0].patch.value.connect_timeout: Envoy filter: invalid google.protobuf.Duration value 5',
    ],
    [
      'value scalar out of range',
      patch('{applyTo: CLUSTER, patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: -1}}}'),
      'spec.configPatches[0].patch.value.per_connection_buffer_limit_bytes: Envoy filter: invalid value for uint32 field: -1',
    ],
    [
      'value naming a v2 type',
      patch(
        "{applyTo: HTTP_FILTER, patch: {operation: INSERT_BEFORE, value: {name: f, typed_config: {'@type': type.googleapis.com/envoy.config.filter.http.fault.v2.HTTPFault}}}}",
      ),
      'spec.configPatches[0].patch.value.typed_config: Envoy filter: referenced type unknown (hint: try using the v3 XDS API): could not resolve Any message type: type.googleapis.com/envoy.config.filter.http.fault.v2.HTTPFault',
    ],
    [
      'workloadSelector and targetRefs',
      `  workloadSelector: {labels: {app: a}}\n  targetRefs: [{kind: Service, group: '', name: a}]\n`,
      'spec: only one of targetRefs or workloadSelector can be set',
    ],
    [
      'wildcard selector',
      "  workloadSelector: {labels: {app: 'a*'}}\n",
      'spec.workloadSelector.labels.app: wildcard is not supported in selector: "app=a*"',
    ],
  ];
  for (const [what, body, message] of cases)
    it(what, () => {
      const r = load(ef('bad', body), GOOD);
      assert.deepEqual(r.errors, [`in.yaml:1: EnvoyFilter app/bad: ${message}`]);
      assert.deepEqual(r.names, ['good']);
    });

  it('accepts what istiod accepts: REMOVE without value, unknown fields and enum names, camelCase names, typed_config of a v3 type, waypoint patches unchecked', () => {
    const bodies = [
      patch(
        '{applyTo: HTTP_FILTER, match: {listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}, patch: {operation: REMOVE}}',
      ),
      patch(
        '{applyTo: CLUSTER, patch: {operation: MERGE, value: {not_a_field: 1, lbPolicy: NOT_A_POLICY, connectTimeout: 1.5s}}}',
      ),
      patch(
        "{applyTo: HTTP_FILTER, patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.http.fault, typed_config: {'@type': type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault, max_active_faults: 3}}}}",
      ),
      patch('{applyTo: CLUSTER, match: {context: WAYPOINT}, patch: {operation: MERGE}}'),
    ];
    for (const body of bodies) assert.deepEqual(load(ef('ok', body), GOOD).errors, [], body);
  });
});
