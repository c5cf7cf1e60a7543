// istiod's validation rules (pkg/config/validation/validation.go) for kinds
// whose field checks live in schemas.ts, added as checks of their own: each
// says which istiod function it follows and keeps its wording.
import { rule, type Check } from './checks';
import { parseIp } from './values';

type Spec = Record<string, unknown>;
const isRecord = (v: unknown): v is Spec => v !== null && typeof v === 'object' && !Array.isArray(v);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `agent/validation.go: ValidateFQDN` (CheckDNS1123Preconditions + ValidateDNS1123Labels). */
function fqdnProblem(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
  for (const l of labels)
    if (l.length > 63 || !DNS1123_LABEL.test(l)) return `"${l}" is not a valid DNS-1123 label (of ${name})`;
  return undefined;
}

/** `validation.go: ValidateUnixAddress`. */
function unixProblem(addr: string): string | undefined {
  if (addr.length === 0) return 'unix address must not be empty';
  if (addr.startsWith('@')) return undefined;
  if (!addr.startsWith('/') || addr.endsWith('/')) return `${addr} is not an absolute path to a file`;
  return undefined;
}

/** `validation.go: validateWorkloadSelector`: no empty keys, no wildcards. */
export const workloadSelector: Check = rule((sel) => {
  const out: [string, string][] = [];
  const labels = isRecord(sel.matchLabels) ? sel.matchLabels : {};
  for (const [k, v] of Object.entries(labels)) {
    const shown = JSON.stringify(`${k}=${String(v)}`);
    if (k === '') out.push(['matchLabels', `empty key is not supported in selector: ${shown}`]);
    if (k.includes('*') || String(v).includes('*'))
      out.push([`matchLabels.${k}`, `wildcard is not supported in selector: ${shown}`]);
  }
  return out;
});

/** `validation.go: ValidatePeerAuthentication`, beyond the CRD's selector rule (schemas.ts). */
export const peerAuthenticationRules: Check = rule((spec) => {
  const out: [string, string][] = [];
  if (isRecord(spec.portLevelMtls) && Object.keys(spec.portLevelMtls).length === 0)
    out.push(['portLevelMtls', 'port level mTLS, if defined, must have at least one element']);
  return out;
});

/** `validation.go: validateWorkloadEntry` (as ValidateWorkloadEntry calls it: FQDN addresses allowed). */
export const workloadEntryRules: Check = rule((we) => {
  const out: [string, string][] = [];
  const addr = typeof we.address === 'string' ? we.address : '';
  const ports = isRecord(we.ports) ? we.ports : {};
  if (addr === '') {
    // With a network set, istiod only warns: the address is learnt elsewhere.
    if (!we.network) out.push(['address', 'address is required']);
  } else if (addr.startsWith('unix://')) {
    const p = unixProblem(addr.slice('unix://'.length));
    if (p) out.push(['address', p]);
    if (Object.keys(ports).length > 0) out.push(['ports', `unix endpoint ${addr} must not include ports`]);
  } else if (!parseIp(addr).ok && fqdnProblem(addr)) {
    out.push(['address', `endpoint address "${addr}" is not a valid FQDN or an IP address`]);
  }
  for (const name of Object.keys(ports))
    if (name.length > 63 || !DNS1123_LABEL.test(name)) out.push([`ports.${name}`, `invalid port name: ${name}`]);
  return out;
});

const WASM_SCHEMES = new Set(['', 'file', 'http', 'https', 'oci']);

/**
 * `validation.go: ValidateWasmPlugin` (validateWasmPluginURL, …SHA,
 * …ImagePullSecret, …Name, …Match). A URL without a scheme is read as
 * istiod's strictParseURL does: an absolute path, else `http://` + it.
 */
export const wasmPluginRules: Check = rule((spec) => {
  const out: [string, string][] = [];
  if (typeof spec.url === 'string') {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(spec.url);
    const scheme = m ? (m[1] as string).toLowerCase() : spec.url.startsWith('/') ? '' : 'http';
    if (spec.url === '') out.push(['url', 'url field needs to be set']);
    else if (!WASM_SCHEMES.has(scheme)) out.push(['url', `url contains unsupported scheme: ${scheme}`]);
  }
  if (typeof spec.sha256 === 'string' && spec.sha256 !== '') {
    if (spec.sha256.length !== 64) out.push(['sha256', 'sha256 field must be 64 characters long']);
    else if (!/^[a-f0-9]{64}$/.test(spec.sha256)) out.push(['sha256', 'sha256 field must match [a-f0-9]{64} pattern']);
  }
  if (typeof spec.imagePullSecret === 'string' && spec.imagePullSecret.length > 253)
    out.push(['imagePullSecret', 'imagePullSecret field must be less than 253 characters long']);
  if (typeof spec.pluginName === 'string' && spec.pluginName.length > 256)
    out.push(['pluginName', 'pluginName field must be less than 255 characters long']);
  if (Array.isArray(spec.match))
    spec.match.forEach((sel, i) => {
      const ports = isRecord(sel) && Array.isArray(sel.ports) ? sel.ports : [];
      ports.forEach((p, j) => {
        const n = isRecord(p) ? p.number : undefined;
        if (typeof n === 'number' && (n <= 0 || n > 65535))
          out.push([`match[${i}].ports[${j}].number`, `spec.Match[${i}].Ports[${j}] is out of range: ${n}`]);
      });
    });
  return out;
});
