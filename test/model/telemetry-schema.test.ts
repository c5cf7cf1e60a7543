import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { kindInfo } from '../../src/model';

const tel = (spec: unknown) =>
  kindInfo('Telemetry')!.validate({
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: 'x', namespace: 'app' },
    spec,
  });

describe('Telemetry: validation.go ValidateTelemetry, with the field path', () => {
  it('accepts a full valid object', () => {
    assert.deepEqual(
      tel({
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
        accessLogging: [
          {
            providers: [{ name: 'envoy' }],
            filter: { expression: "response.code >= 400 && request.headers['x'] == 'y'" },
          },
        ],
        tracing: [
          {
            providers: [{ name: 'zipkin' }],
            randomSamplingPercentage: 10,
            customTags: { a: { literal: { value: 'v' } } },
          },
        ],
        metrics: [
          {
            reportingInterval: '30s',
            overrides: [
              { match: { metric: 'REQUEST_COUNT', mode: 'SERVER' }, tagOverrides: { t: { operation: 'REMOVE' } } },
            ],
          },
        ],
      }),
      [],
    );
  });

  it('validateTelemetryProviders: names may not be empty', () => {
    assert.deepEqual(tel({ accessLogging: [{ providers: [{ name: '' }] }] }), [
      'spec.accessLogging[0].providers: providers.name may not be empty',
    ]);
  });

  it('validateTelemetryFilter: the expression must parse', () => {
    assert.deepEqual(tel({ accessLogging: [{ filter: { expression: 'response.code >= (400' } }] }), [
      'spec.accessLogging[0].filter.expression: must be a valid CEL expression, Syntax error: missing closing bracket',
    ]);
    assert.deepEqual(tel({ accessLogging: [{ filter: { expression: "request.path == 'x" } }] }), [
      'spec.accessLogging[0].filter.expression: must be a valid CEL expression, Syntax error: unterminated string',
    ]);
  });

  it('validateTelemetryTracing: sampling range and tag values', () => {
    assert.deepEqual(tel({ tracing: [{ randomSamplingPercentage: 101 }] }), [
      'spec.tracing[0].randomSamplingPercentage: randomSamplingPercentage must be in range [0.0, 100.0]',
    ]);
    assert.deepEqual(
      tel({
        tracing: [
          { customTags: { a: { literal: { value: '' } }, b: { header: {} }, c: { environment: { name: '' } } } },
        ],
      }),
      [
        'spec.tracing[0].customTags.a.literal.value: literal tag value may not be empty',
        'spec.tracing[0].customTags.b.header.name: header tag name may not be empty',
        'spec.tracing[0].customTags.c.environment.name: environment tag name may not be empty',
      ],
    );
  });

  it('validateTelemetryMetrics: tag overrides and metric names', () => {
    assert.deepEqual(
      tel({ metrics: [{ overrides: [{ tagOverrides: { a: {}, b: { operation: 'REMOVE', value: 'x' } } }] }] }),
      [
        'spec.metrics[0].overrides[0].tagOverrides.a: tagOverrides.value must be set when operation is UPSERT',
        'spec.metrics[0].overrides[0].tagOverrides.b: tagOverrides.value may only be set when operation is UPSERT',
      ],
    );
    assert.deepEqual(tel({ metrics: [{ overrides: [{ match: { customMetric: '' } }] }] }), [
      'spec.metrics[0].overrides[0].match.customMetric: customMetric may not be empty',
    ]);
    assert.deepEqual(tel({ metrics: [{ overrides: [{ match: { metric: 'REQUESTS' } }] }] }).length, 1);
  });

  it('validateOneOfSelectorType: one way of targeting', () => {
    assert.deepEqual(tel({ selector: { matchLabels: { a: 'b' } }, targetRefs: [{ kind: 'Service', name: 's' }] }), [
      'spec: only one of targetRefs or workloadSelector can be set',
    ]);
  });
});

describe('mesh config telemetry providers: extensionprovider.go validateExtensionProvider', () => {
  const cm = (mesh: string) =>
    kindInfo('ConfigMap')!.validate({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: { mesh },
    });
  it('accepts providers with a service and port', () => {
    assert.deepEqual(
      cm(
        'extensionProviders:\n- name: z\n  zipkin: {service: zipkin.obs.svc.cluster.local, port: 9411}\n- name: f\n  envoyFileAccessLog: {path: /dev/stdout}',
      ),
      [],
    );
  });
  it('refuses a bad service or port, and an OpenTelemetry provider with both exporters', () => {
    assert.deepEqual(
      cm(
        'extensionProviders:\n- name: a\n  envoyHttpAls: {service: "", port: 0}\n- name: o\n  opentelemetry: {service: otel.obs.svc.cluster.local, port: 4317, grpc: {}, http: {path: /v1/traces}}',
      ),
      [
        'data.mesh.extensionProviders[0].envoyHttpAls.service: service must not be empty',
        'data.mesh.extensionProviders[0].envoyHttpAls.port: invalid service port: port number 0 must be in the range 1..65535',
        'data.mesh.extensionProviders[1].opentelemetry: OpenTelemetryTracingProvider cannot specify both grpc and http',
      ],
    );
  });
});
