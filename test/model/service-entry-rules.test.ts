// istiod's ServiceEntry rules (validation.go: ValidateServiceEntry): each
// family's refusal as a user reads it, and the valid document beside it still loaded.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseManifestFile } from '../../src/watch/parse';
import { describeError } from '../../src/watch/source';

function load(bad: string, good: string) {
  const r = parseManifestFile('in.yaml', `${bad}---\n${good}`);
  return { errors: r.errors.map(describeError), names: r.docs.map((d) => d.object.metadata.name) };
}

const se = (name: string, body: string, labels = '') =>
  `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ${name}, namespace: app${labels}}\nspec:\n${body}`;
const GOOD = se(
  'good',
  '  hosts: [api.example.com]\n  ports: [{number: 443, name: https, protocol: TLS}]\n  resolution: DNS\n',
);
const HTTP = '  ports: [{number: 80, name: http, protocol: HTTP}]\n';

describe('istiod rules: ServiceEntry (validation.go: ValidateServiceEntry)', () => {
  const cases: [string, string, string, string?][] = [
    ['hosts: full wildcard', `  hosts: ['*']\n${HTTP}`, 'spec.hosts[0]: invalid host *'],
    [
      'hosts: wildcard past the first label',
      `  hosts: ['a.*.example.com']\n${HTTP}`,
      'spec.hosts[0]: domain name "*.example.com" invalid (label "*" invalid)',
    ],
    [
      'hosts: all-numeric top-level domain',
      `  hosts: [example.123]\n${HTTP}`,
      // istiod checks the labels after the first one on their own, and names them.
      'spec.hosts[0]: domain name "123" invalid (top level domain "123" cannot be all-numeric)',
    ],
    [
      'addresses: CIDR with DNS resolution',
      `  hosts: [a.example.com]\n  addresses: [10.1.0.0/16]\n${HTTP}  resolution: DNS\n`,
      'spec.addresses: CIDR addresses are allowed only for NONE/STATIC resolution types',
    ],
    [
      'ports: duplicate name',
      '  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: http, protocol: HTTP}]\n',
      'spec.ports[1].name: service entry port name "http" already defined',
    ],
    [
      'ports: duplicate number',
      '  hosts: [a.example.com]\n  ports: [{number: 80, name: a, protocol: HTTP}, {number: 80, name: b, protocol: HTTP}]\n',
      'spec.ports[1].number: service entry port 80 already defined',
    ],
    [
      'ports: unknown protocol',
      '  hosts: [a.example.com]\n  ports: [{number: 80, name: a, protocol: SPDY}]\n',
      'spec.ports[0].protocol: unsupported protocol: SPDY',
    ],
    [
      'ports: name not DNS-1123',
      '  hosts: [a.example.com]\n  ports: [{number: 80, name: http_a, protocol: HTTP}]\n',
      'spec.ports[0].name: invalid port name: http_a',
    ],
    [
      'resolution NONE with endpoints',
      `  hosts: [a.example.com]\n${HTTP}  endpoints: [{address: 10.0.0.1}]\n`,
      'spec.endpoints: no endpoints should be provided for resolution type none',
    ],
    [
      'STATIC: endpoint is a hostname',
      `  hosts: [a.example.com]\n${HTTP}  resolution: STATIC\n  endpoints: [{address: db.example.com}]\n`,
      'spec.endpoints[0].address: endpoint address "db.example.com" is not a valid IP address',
    ],
    [
      'STATIC: endpoint port not a service port',
      `  hosts: [a.example.com]\n${HTTP}  resolution: STATIC\n  endpoints: [{address: 10.0.0.1, ports: {grpc: 9000}}]\n`,
      'spec.endpoints[0].ports.grpc: endpoint port 9000 is not defined by the service entry',
    ],
    [
      'DNS: host not an FQDN without endpoints',
      `  hosts: ['*.example.com']\n${HTTP}  resolution: DNS\n`,
      'spec.hosts[0]: hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode DNS, domain name "*.example.com" invalid (label "*" invalid)',
    ],
    [
      'DNS_ROUND_ROBIN: two endpoints',
      `  hosts: [a.example.com]\n${HTTP}  resolution: DNS_ROUND_ROBIN\n  endpoints: [{address: a1.example.com}, {address: a2.example.com}]\n`,
      'spec.endpoints: there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN',
    ],
    [
      'DNS: endpoint label value',
      `  hosts: [a.example.com]\n${HTTP}  resolution: DNS\n  endpoints: [{address: 10.0.0.1, labels: {app: 'a b'}}]\n`,
      'spec.endpoints[0].labels: invalid tag value: "a b"',
    ],
    [
      'DYNAMIC_DNS: host not wildcarded',
      `  hosts: [a.example.com]\n${HTTP}  resolution: DYNAMIC_DNS\n`,
      'spec.hosts[0]: host must be wildcarded for resolution mode DYNAMIC_DNS',
    ],
    [
      'DYNAMIC_DNS: TCP port',
      `  hosts: ['*.example.com']\n  ports: [{number: 5432, name: pg, protocol: TCP}]\n  resolution: DYNAMIC_DNS\n`,
      'spec.ports[0].protocol: only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS',
    ],
    [
      'DYNAMIC_DNS: MESH_INTERNAL behind a waypoint',
      `  hosts: ['*.example.com']\n${HTTP}  resolution: DYNAMIC_DNS\n  location: MESH_INTERNAL\n`,
      'spec.location: location MESH_INTERNAL with resolution type DYNAMIC_DNS is not supported when using waypoints',
      ', labels: {istio.io/use-waypoint: waypoint}',
    ],
    [
      'several hosts on a TCP port',
      '  hosts: [a.example.com, b.example.com]\n  ports: [{number: 5432, name: pg, protocol: TCP}]\n  resolution: DNS\n',
      'spec.ports[0].protocol: multiple hosts provided with non-HTTP, non-TLS ports',
    ],
    [
      'workloadSelector with endpoints',
      `  hosts: [a.example.com]\n${HTTP}  resolution: STATIC\n  workloadSelector: {labels: {app: a}}\n  endpoints: [{address: 10.0.0.1}]\n`,
      'spec: only one of WorkloadSelector or Endpoints is allowed in Service Entry',
    ],
    [
      'exportTo: none and someone',
      `  hosts: [a.example.com]\n${HTTP}  exportTo: ['~', other]\n`,
      'spec.exportTo: cannot export service entry to no one (~) and someone',
    ],
    [
      'exportTo: . and its own namespace',
      `  hosts: [a.example.com]\n${HTTP}  exportTo: [app, '.']\n`,
      'spec.exportTo: duplicate entries in exportTo: . and current namespace app',
    ],
  ];
  for (const [what, body, message, labels] of cases)
    it(what, () => {
      const r = load(se('bad', body, labels), GOOD);
      assert.deepEqual(r.errors, [`in.yaml:1: ServiceEntry app/bad: ${message}`]);
      assert.deepEqual(r.names, ['good']);
    });

  it('accepts what istiod accepts: prefix wildcards, CIDRs with STATIC, DNS endpoints by name, ~ alone, no labels check on selector-less entries', () => {
    const bodies = [
      `  hosts: ['*.example.com']\n${HTTP}  resolution: DYNAMIC_DNS\n`,
      `  hosts: [a.example.com]\n  addresses: [10.1.0.0/16]\n${HTTP}  resolution: STATIC\n  endpoints: [{address: 10.1.0.5, ports: {http: 8080}}]\n`,
      `  hosts: [a.example.com]\n${HTTP}  resolution: DNS\n  endpoints: [{address: backend.example.com}]\n`,
      `  hosts: [a.example.com]\n${HTTP}  exportTo: ['~']\n`,
      '  hosts: [a.example.com, b.example.com]\n  ports: [{number: 5432, name: pg, protocol: TCP}]\n',
      `  hosts: [a.example.com]\n${HTTP}  resolution: STATIC\n  endpoints: [{address: 'unix:///var/run/a.sock'}]\n`,
    ];
    for (const body of bodies) assert.deepEqual(load(se('ok', body), GOOD).errors, [], body);
  });
});
