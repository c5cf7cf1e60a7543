import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { apiVersionsOf, kindInfo, KINDS, objectKey, resolveKind } from '../../src/model';

const validate = (kind: string, o: unknown) => kindInfo(kind)!.validate(o);
const meta = { name: 'x', namespace: 'default' };

describe('kind registry', () => {
  it('accepts the versions each API serves', () => {
    const accepted: [string, string][] = [
      ['gateway.networking.k8s.io/v1', 'Gateway'],
      ['gateway.networking.k8s.io/v1beta1', 'HTTPRoute'],
      ['gateway.networking.k8s.io/v1alpha2', 'TCPRoute'],
      // istiod reads TCPRoute and TLSRoute as v1 with v1alpha2 as an alias (schema/metadata.yaml).
      ['gateway.networking.k8s.io/v1', 'TCPRoute'],
      ['gateway.networking.k8s.io/v1', 'TLSRoute'],
      ['gateway.networking.k8s.io/v1alpha2', 'TLSRoute'],
      ['gateway.networking.k8s.io/v1alpha3', 'TLSRoute'],
      ['security.istio.io/v1beta1', 'AuthorizationPolicy'],
      ['security.istio.io/v1', 'RequestAuthentication'],
      ['security.istio.io/v1beta1', 'PeerAuthentication'],
      ['networking.istio.io/v1alpha3', 'ServiceEntry'],
      ['networking.istio.io/v1alpha3', 'EnvoyFilter'],
      ['discovery.k8s.io/v1', 'EndpointSlice'],
      ['v1', 'Pod'],
      // DestinationRule credentials (served over SDS).
      ['v1', 'Secret'],
    ];
    for (const [v, k] of accepted) assert.ok(resolveKind(v, k), `${v} ${k}`);
    assert.equal(resolveKind('gateway.networking.k8s.io/v1alpha1', 'TCPRoute'), undefined);
    assert.equal(resolveKind('networking.istio.io/v1', 'Gateway'), undefined, "Istio's own Gateway is not ours");
    assert.equal(resolveKind('v1', 'ServiceAccount'), undefined);
  });

  it('knows every input kind, its plural and its scope', () => {
    const names = KINDS.map((k) => k.kind).sort();
    for (const k of [
      'Namespace',
      'Service',
      'Pod',
      'EndpointSlice',
      'Gateway',
      'GatewayClass',
      'HTTPRoute',
      'GRPCRoute',
      'TCPRoute',
      'TLSRoute',
      'ReferenceGrant',
      'AuthorizationPolicy',
      'RequestAuthentication',
      'Telemetry',
      'WasmPlugin',
      'EnvoyFilter',
      'ServiceEntry',
      'WorkloadEntry',
      'DestinationRule',
      'PeerAuthentication',
      'VirtualService',
    ])
      assert.ok(names.includes(k), k);
    assert.equal(kindInfo('GatewayClass')!.namespaced, false);
    assert.equal(kindInfo('Namespace')!.namespaced, false);
    assert.equal(kindInfo('HTTPRoute')!.plural, 'httproutes');
    assert.deepEqual(apiVersionsOf(kindInfo('AuthorizationPolicy')!), [
      'security.istio.io/v1',
      'security.istio.io/v1beta1',
    ]);
  });

  it('builds every object key in one format', () => {
    assert.equal(objectKey('HTTPRoute', 'default', 'reviews'), 'HTTPRoute/default/reviews');
    assert.equal(objectKey('Namespace', undefined, 'default'), 'Namespace/default');
  });
});

describe('validation', () => {
  const gateway = (listeners: unknown, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: meta,
    spec: { gatewayClassName: 'istio-waypoint', listeners, ...extra },
  });

  const cases: [string, string, unknown, string[]][] = [
    ['a valid waypoint', 'Gateway', gateway([{ name: 'mesh', port: 15008, protocol: 'HBONE' }]), []],
    [
      'listener port as a string',
      'Gateway',
      gateway([{ name: 'mesh', port: '15008', protocol: 'HBONE' }]),
      ['spec.listeners[0].port: must be an integer port (1-65535)'],
    ],
    [
      'listener without protocol and name, and a bad from',
      'Gateway',
      gateway([{ port: 15008, allowedRoutes: { namespaces: { from: 'Everywhere' } } }]),
      [
        'spec.listeners[0].name: required',
        'spec.listeners[0].protocol: required',
        'spec.listeners[0].allowedRoutes.namespaces.from: must be one of All, Selector, Same',
      ],
    ],
    [
      'Gateway without spec',
      'Gateway',
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta },
      ['spec: required'],
    ],
    [
      'label values must be strings',
      'Service',
      { apiVersion: 'v1', kind: 'Service', metadata: { ...meta, labels: { version: 2 } } },
      ['metadata.labels.version: must be a string'],
    ],
    [
      'service ports and selector',
      'Service',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta,
        spec: { ports: [{ port: 80, targetPort: 'http' }, { targetPort: 0 }], selector: 'app=x' },
      },
      [
        'spec.selector: must be a map of strings',
        'spec.ports[1].port: required',
        'spec.ports[1].targetPort: must be an integer port (1-65535)',
      ],
    ],
    [
      'route backend weight and parent name',
      'HTTPRoute',
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta,
        spec: { parentRefs: [{ kind: 'Service' }], rules: [{ backendRefs: [{ name: 'a', weight: -1 }] }] },
      },
      [
        'spec.parentRefs[0].name: required',
        'spec.rules[0].backendRefs[0].weight: weight must be an integer in [0, 1000000]',
      ],
    ],
    [
      'policy action and targetRef kind',
      'AuthorizationPolicy',
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: meta,
        spec: { action: 'allow', targetRefs: [{ name: 'waypoint' }] },
      },
      ['spec.targetRefs[0].kind: required', 'spec.action: must be one of ALLOW, DENY, AUDIT, CUSTOM'],
    ],
    [
      'endpoint slice addresses',
      'EndpointSlice',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: meta,
        addressType: 'IPv4',
        endpoints: [{ addresses: [] }, {}],
      },
      ['endpoints[0].addresses: must have at least 1 item(s)', 'endpoints[1].addresses: required'],
    ],
    [
      'peer authentication modes, port keys and the selector the CRD requires for ports',
      'PeerAuthentication',
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: meta,
        spec: { mtls: { mode: 'strict' }, portLevelMtls: { '0': { mode: 'STRICT' }, '8080': { mode: 'OFF' } } },
      },
      [
        'spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT',
        'spec.portLevelMtls.0: key must be a port (1-65535)',
        'spec.portLevelMtls.8080.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT',
        'spec.portLevelMtls: requires a selector',
      ],
    ],
    [
      'destination rule tls modes, at the top and per port',
      'DestinationRule',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: meta,
        spec: {
          host: 'a',
          trafficPolicy: {
            tls: { mode: 'MTLS' },
            portLevelSettings: [{ port: { number: -1 }, tls: { mode: 'DISABLE' } }],
          },
        },
      },
      [
        'spec.trafficPolicy.tls.mode: must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL',
        'spec.trafficPolicy.portLevelSettings[0].port.number: must be an integer in [0, 4294967295]',
      ],
    ],
    [
      'service entry hosts',
      'ServiceEntry',
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta, spec: { ports: [{ number: 80 }] } },
      ['spec.hosts: required', 'spec.ports[0].name: required'],
    ],
    [
      'virtual service values Envoy or istiod would refuse (validation.go: ValidateVirtualService)',
      'VirtualService',
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: meta,
        spec: {
          hosts: ['*'],
          http: [
            {
              match: [{ uri: { regex: '(?=x)' }, port: 70000 }],
              route: [
                { destination: { host: 'a', subset: 'Bad_Subset' }, weight: 0 },
                { destination: { host: 'b' }, weight: 0 },
              ],
              timeout: '1 second',
              fault: { abort: { grpcStatus: 'NOPE' } },
              headers: { request: { set: { ':path': '/x' } } },
            },
            { redirect: { uri: '/x', redirectCode: 300 } },
            { directResponse: { status: 700 }, route: [{ destination: { host: 'a' } }] },
          ],
          tcp: [{ route: [{ destination: { host: '*' } }] }],
        },
      },
      [
        'spec.http[0].match[0].uri.regex: invalid regex: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
        'spec.http[0].match[0].port: must be an integer port (1-65535)',
        'spec.http[0].route[0].destination.subset: subset name is invalid: Bad_Subset',
        'spec.http[0].route: total destination weight = 0',
        'spec.http[0].timeout: invalid duration "1 second": use a protobuf duration such as 1.5s, or 1h2m3s',
        'spec.http[0].fault.abort.grpcStatus: gRPC status NOPE is not supported',
        'spec.http[0].headers.request.set.:path: invalid header ":path": header cannot have ":" prefix',
        'spec.http[1].redirect.redirectCode: 300 is not a redirect code Envoy supports (301, 302, 303, 307, 308)',
        'spec.http[2].directResponse.status: HTTP status 700 is not in range 200-599',
        'spec.http[2]: only one of route, directResponse may be set',
        'spec.tcp[0].route[0].destination.host: invalid destination host *',
        'spec.hosts: wildcard host * is not allowed for virtual services bound to the mesh gateway',
      ],
    ],
  ];
  for (const [title, kind, o, want] of cases) it(title, () => assert.deepEqual(validate(kind, o), want));
});

// The registry must agree with the CRDs it was written from. They live outside
// the project (../shared); a plain clone skips this.
const CRDS = join(__dirname, '..', '..', '..', '..', 'shared', 'crds');
describe('registry against the CRDs', { skip: !existsSync(CRDS) && 'CRDs not available' }, () => {
  it('serves each kind under the CRD plural and scope, and every version we ask for exists', () => {
    const crds = new Map<string, { group: string; plural: string; scope: string; versions: string[] }>();
    for (const dir of readdirSync(CRDS)) {
      for (const f of readdirSync(join(CRDS, dir))) {
        for (const d of YAML.parseAllDocuments(readFileSync(join(CRDS, dir, f), 'utf8'))) {
          const c = d.toJS() as {
            kind?: string;
            spec?: {
              group: string;
              names: { kind: string; plural: string };
              scope: string;
              versions: { name: string }[];
            };
          } | null;
          if (c?.kind !== 'CustomResourceDefinition' || !c.spec) continue;
          crds.set(`${c.spec.group}/${c.spec.names.kind}`, {
            group: c.spec.group,
            plural: c.spec.names.plural,
            scope: c.spec.scope,
            versions: c.spec.versions.map((v) => v.name),
          });
        }
      }
    }
    let compared = 0;
    for (const k of KINDS) {
      const crd = crds.get(`${k.group}/${k.kind}`);
      if (!crd) continue;
      compared++;
      assert.equal(k.plural, crd.plural, k.kind);
      assert.equal(k.namespaced, crd.scope === 'Namespaced', k.kind);
      assert.ok(crd.versions.includes(k.versions[0]!), `${k.kind}: informers list ${k.versions[0]}`);
      for (const v of crd.versions) assert.ok(k.versions.includes(v), `${k.kind} ${v} is served by the CRD`);
    }
    assert.ok(compared >= 14, `compared ${compared} kinds`);
  });
});
