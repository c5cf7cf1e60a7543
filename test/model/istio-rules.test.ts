// istiod's rules for PeerAuthentication and WorkloadEntry
// (pkg/config/validation/validation.go): each family's refusal as a user
// reads it, and the valid document beside it still loaded.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseManifestFile } from '../../src/watch/parse';
import { describeError } from '../../src/watch/source';

function load(bad: string, good: string) {
  const r = parseManifestFile('in.yaml', `${bad}---\n${good}`);
  return { errors: r.errors.map(describeError), names: r.docs.map((d) => d.object.metadata.name) };
}

const we = (name: string, body: string) =>
  `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ${name}, namespace: app}\nspec:\n${body}`;
const pa = (name: string, body: string) =>
  `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: app}\nspec:\n${body}`;
const GOOD_WE = we('good', '  address: 10.0.0.1\n  ports: {http: 8080}\n');

describe('istiod rules: WorkloadEntry (validation.go: validateWorkloadEntry)', () => {
  const cases: [string, string, string][] = [
    ['address required', '  ports: {http: 80}\n', 'spec.address: address is required'],
    [
      'address neither IP nor FQDN',
      '  address: not_a_host\n',
      'spec.address: endpoint address "not_a_host" is not a valid FQDN or an IP address',
    ],
    [
      'unix address not absolute',
      '  address: unix://relative/sock\n',
      'spec.address: relative/sock is not an absolute path to a file',
    ],
    [
      'unix endpoint with ports',
      '  address: unix:///var/run/a.sock\n  ports: {http: 80}\n',
      'spec.ports: unix endpoint unix:///var/run/a.sock must not include ports',
    ],
    ['port name', '  address: 10.0.0.2\n  ports: {Http_1: 80}\n', 'spec.ports.Http_1: invalid port name: Http_1'],
  ];
  for (const [what, body, message] of cases)
    it(what, () => {
      const r = load(we('bad', body), GOOD_WE);
      assert.deepEqual(r.errors, [`in.yaml:1: WorkloadEntry app/bad: ${message}`]);
      assert.deepEqual(r.names, ['good']);
    });

  it('accepts an FQDN, an abstract unix socket, and no address when a network is set', () => {
    for (const body of ['  address: vm1.example.com\n', '  address: unix://@abstract\n', '  network: net2\n'])
      assert.deepEqual(load(we('ok', body), GOOD_WE).errors, [], body);
  });
});

describe('istiod rules: PeerAuthentication (validation.go: ValidatePeerAuthentication, validateWorkloadSelector)', () => {
  const GOOD = pa('good', '  mtls: {mode: STRICT}\n');
  const cases: [string, string, string][] = [
    [
      'empty port level mTLS',
      '  selector: {matchLabels: {app: a}}\n  portLevelMtls: {}\n',
      'spec.portLevelMtls: port level mTLS, if defined, must have at least one element',
    ],
    [
      'wildcard selector',
      "  selector: {matchLabels: {app: 'a*'}}\n",
      'spec.selector.matchLabels.app: wildcard is not supported in selector: "app=a*"',
    ],
  ];
  for (const [what, body, message] of cases)
    it(what, () => {
      const r = load(pa('bad', body), GOOD);
      assert.deepEqual(r.errors, [`in.yaml:1: PeerAuthentication app/bad: ${message}`]);
      assert.deepEqual(r.names, ['good']);
    });
});

describe('istiod rules: WasmPlugin (validation.go: ValidateWasmPlugin)', () => {
  const wp = (name: string, body: string) =>
    `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: ${name}, namespace: app}\nspec:\n${body}`;
  const GOOD = wp('good', '  url: oci://ghcr.io/acme/filter:1\n');
  const cases: [string, string, string][] = [
    ['url scheme', '  url: ftp://example.com/f.wasm\n', 'spec.url: url contains unsupported scheme: ftp'],
    ['host:port without scheme', '  url: localhost:5000/f\n', 'spec.url: url contains unsupported scheme: localhost'],
    ['sha256 length', '  url: file:///f.wasm\n  sha256: abc\n', 'spec.sha256: sha256 field must be 64 characters long'],
    [
      'sha256 pattern',
      `  url: file:///f.wasm\n  sha256: ${'A'.repeat(64)}\n`,
      'spec.sha256: sha256 field must match [a-f0-9]{64} pattern',
    ],
    [
      'match port',
      '  url: file:///f.wasm\n  match: [{ports: [{number: 70000}]}]\n',
      'spec.match[0].ports[0].number: spec.Match[0].Ports[0] is out of range: 70000',
    ],
  ];
  for (const [what, body, message] of cases)
    it(what, () => {
      const r = load(wp('bad', body), GOOD);
      assert.deepEqual(r.errors, [`in.yaml:1: WasmPlugin app/bad: ${message}`]);
      assert.deepEqual(r.names, ['good']);
    });

  it('accepts a registry reference without a scheme (read as http://), and an absolute path', () => {
    for (const url of ['ghcr.io/acme/filter:1', '/var/lib/f.wasm', 'https://example.com/f.wasm'])
      assert.deepEqual(load(wp('ok', `  url: ${url}\n`), GOOD).errors, [], url);
  });
});
