// The access log a waypoint writes when Telemetry turns on the built-in
// `envoy` provider, as istiod builds it. Each test names the istiod function
// it follows.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { ISTIO_JSON_LOG_FORMAT, ISTIO_TEXT_LOG_FORMAT } from '../../src/translate/names';
import { renderWaypoint } from '../../src/translate/render';

type J = Record<string, unknown>;

const base: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: 'app' },
    spec: { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 8080 }] },
  },
  {
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: 'logs', namespace: 'app' },
    spec: {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      accessLogging: [{ providers: [{ name: 'envoy' }] }],
    },
  } as KubeObject,
];

function meshConfig(mesh: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio', namespace: 'istio-system' },
    data: { mesh },
  } as KubeObject;
}

/** Every file access-log config on the waypoint's listeners, as Envoy receives it. */
function fileLogs(objects: KubeObject[] = []): J[] {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [...base, ...objects].map((object) => ({ op: 'upsert' as const, object })),
  );
  const w = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
  assert.ok(w, 'the waypoint is translated');
  const found: J[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as J;
    if (o.name === 'envoy.access_loggers.file') found.push(o.typedConfig as J);
    else Object.values(o).forEach(walk);
  };
  walk(renderWaypoint(w).listeners);
  assert.ok(found.length >= 2, 'HTTP and TCP chains both log');
  return found;
}

describe('built-in envoy access-log provider (istiod parity)', () => {
  it("writes Istio's text line to stdout by default (telemetry_logging.go: telemetryAccessLog, FileAccessLogFromMeshConfig)", () => {
    for (const l of fileLogs()) {
      assert.equal(l.path, '/dev/stdout');
      assert.deepEqual(l.logFormat, { textFormatSource: { inlineString: ISTIO_TEXT_LOG_FORMAT } });
    }
  });

  it("takes the mesh config's text format, adding the newline it lacks (telemetry_logging.go: fileAccessLogFormat)", () => {
    for (const l of fileLogs([meshConfig('accessLogFormat: "%PROTOCOL% %RESPONSE_CODE%"')]))
      assert.deepEqual(l.logFormat, { textFormatSource: { inlineString: '%PROTOCOL% %RESPONSE_CODE%\n' } });
  });

  it("JSON encoding without a format logs Istio's JSON fields, unsorted (telemetry_logging.go: FileAccessLogFromMeshConfig)", () => {
    for (const l of fileLogs([meshConfig('accessLogEncoding: JSON')])) {
      const f = l.logFormat as J;
      assert.deepEqual(f.jsonFormat, ISTIO_JSON_LOG_FORMAT);
      assert.deepEqual(f.jsonFormatOptions, {});
      assert.equal(f.formatters, undefined);
    }
  });

  it("JSON encoding with a format that does not parse falls back to Istio's fields (telemetry_logging.go: FileAccessLogFromMeshConfig)", () => {
    for (const l of fileLogs([meshConfig('accessLogEncoding: JSON\naccessLogFormat: "not json"')]))
      assert.deepEqual((l.logFormat as J).jsonFormat, ISTIO_JSON_LOG_FORMAT);
  });

  it('a format using %REQ_WITHOUT_QUERY gets its formatter extension (telemetry_logging.go: accessLogJSONFormatters, accessLogTextFormatters)', () => {
    const json = fileLogs([
      meshConfig('accessLogEncoding: JSON\naccessLogFormat: \'{"path": "%REQ_WITHOUT_QUERY(:PATH)%"}\''),
    ]);
    for (const l of json) {
      const f = l.logFormat as J;
      assert.deepEqual(f.jsonFormat, { path: '%REQ_WITHOUT_QUERY(:PATH)%' });
      assert.deepEqual(f.formatters, [
        {
          name: 'envoy.formatter.req_without_query',
          typedConfig: {
            '@type': 'type.googleapis.com/envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery',
          },
        },
      ]);
    }
    for (const l of fileLogs([meshConfig('accessLogFormat: "%REQ_WITHOUT_QUERY(:PATH)%"')]))
      assert.equal(((l.logFormat as J).formatters as J[]).length, 1);
  });
});

// Optional: our copies of Istio's formats match istiod's source, when an
// istio checkout is at hand.
const ISTIO = process.env.ISTIO_GIT_DIR ?? '/work/.mirror/istio+istio/repo';

function istioSource(): string | undefined {
  if (!existsSync(ISTIO)) return undefined;
  try {
    return execFileSync('git', ['-C', ISTIO, 'show', 'HEAD:pilot/pkg/model/telemetry_logging.go'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch {
    return undefined;
  }
}

describe("Istio's access-log formats against istiod's source", () => {
  const src = istioSource();

  it('text: telemetry_logging.go EnvoyTextLogFormat', (t) => {
    const m = src && /EnvoyTextLogFormat = ([\s\S]*?)\n\n/.exec(src);
    if (!m?.[1]) return t.skip('istio source not at hand');
    const pieces = [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((p) => JSON.parse(`"${p[1]}"`) as string);
    assert.equal(ISTIO_TEXT_LOG_FORMAT, pieces.join(''));
  });

  it('JSON: telemetry_logging.go EnvoyJSONLogFormatIstio', (t) => {
    const m = src && /EnvoyJSONLogFormatIstio = &structpb\.Struct\{([\s\S]*?)\n\t\}/.exec(src);
    if (!m?.[1]) return t.skip('istio source not at hand');
    const fields = Object.fromEntries(
      [...m[1].matchAll(/"(\w+)":\s*\{Kind: &structpb\.Value_StringValue\{StringValue: "([^"]*)"\}\}/g)].map((f) => [
        f[1],
        f[2],
      ]),
    );
    assert.ok(Object.keys(fields).length > 0, 'fields found in the source');
    assert.deepEqual(ISTIO_JSON_LOG_FORMAT, fields);
  });
});
