// Telemetry: the shape we read and the rules istiod's webhook enforces on it
// (`validation.go: ValidateTelemetry`, `validateTelemetryAccessLogging`,
// `validateTelemetryTracing`, `validateTelemetryMetrics`,
// `validateTelemetryProviders`; `validation_istiod.go: validateTelemetryFilter`),
// worded as istiod words them.
import { all, bool, list, obj, oneOf, parsed, rule, str, type Check } from './checks';
import { oneTargeting, targeting } from './security-schemas';
import { parseIstioDuration } from './values';

const mode = obj({ mode: oneOf('CLIENT_AND_SERVER', 'CLIENT', 'SERVER') });

/** validateTelemetryProviders. */
const providers: Check = all(list(obj({ name: str })), (v, p, errs) => {
  if (!Array.isArray(v)) return;
  if (v.some((x: unknown) => !x || typeof x !== 'object' || !(x as { name?: unknown }).name))
    errs.push(`${p}: providers.name may not be empty`);
});

const number: Check = (v, p, errs) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) errs.push(`${p}: must be a number`);
};

/**
 * validateTelemetryFilter parses the expression with CEL. We have no CEL
 * parser, so this checks what a parse would catch first: an expression is
 * present, its quotes close and its brackets balance.
 */
export function celProblem(expr: string): string | undefined {
  if (expr.trim() === '') return 'must be a valid CEL expression, Syntax error: empty expression';
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] ?? '';
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' ? 2 : 1;
      if (j >= expr.length) return 'must be a valid CEL expression, Syntax error: unterminated string';
      i = j;
    } else if (c === '(' || c === '[' || c === '{') open.push(c);
    else if (c in pairs) {
      if (open.pop() !== pairs[c]) return `must be a valid CEL expression, Syntax error: unexpected '${c}'`;
    }
  }
  if (open.length > 0) return 'must be a valid CEL expression, Syntax error: missing closing bracket';
  return undefined;
}

const filter = obj({
  expression: (v, p, errs) => {
    if (typeof v !== 'string') return void errs.push(`${p}: must be a string`);
    const problem = celProblem(v);
    if (problem) errs.push(`${p}: ${problem}`);
  },
});

const accessLogging = obj({ providers, disabled: bool, filter, match: mode });

/** validateTelemetryTracing: custom tags. */
const customTags: Check = (v, p, errs) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return void errs.push(`${p}: must be a map`);
  for (const [name, tag] of Object.entries(v as Record<string, unknown>)) {
    const at = `${p}.${name}`;
    if (name === '') errs.push(`${p}: tag name may not be empty`);
    if (!tag || typeof tag !== 'object') {
      errs.push(`${at}: tag '${name}' may not have a nil value`);
      continue;
    }
    const t = tag as Record<string, Record<string, unknown> | undefined>;
    if (t.literal !== undefined && !t.literal?.value)
      errs.push(`${at}.literal.value: literal tag value may not be empty`);
    if (t.header !== undefined && !t.header?.name) errs.push(`${at}.header.name: header tag name may not be empty`);
    if (t.environment !== undefined && !t.environment?.name)
      errs.push(`${at}.environment.name: environment tag name may not be empty`);
  }
};

const tracing = all(
  obj({
    providers,
    match: mode,
    randomSamplingPercentage: number,
    disableSpanReporting: bool,
    customTags,
    useRequestIdForTraceSampling: bool,
    enableIstioTags: bool,
  }),
  rule((o) => {
    const pct = o.randomSamplingPercentage;
    return typeof pct === 'number' && (pct < 0 || pct > 100)
      ? [['randomSamplingPercentage', 'randomSamplingPercentage must be in range [0.0, 100.0]']]
      : [];
  }),
);

const METRICS = [
  'ALL_METRICS',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES',
  'TCP_RECEIVED_BYTES',
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
];

/** validateTelemetryMetrics: tag overrides and custom metric names. */
const tagOverrides: Check = (v, p, errs) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return void errs.push(`${p}: must be a map`);
  for (const [name, to] of Object.entries(v as Record<string, unknown>)) {
    const at = `${p}.${name}`;
    if (!to || typeof to !== 'object') {
      errs.push(`${at}: tagOverrides may not be null`);
      continue;
    }
    const o = to as { operation?: unknown; value?: unknown };
    if (o.operation !== undefined && o.operation !== 'UPSERT' && o.operation !== 'REMOVE')
      errs.push(`${at}.operation: must be one of UPSERT, REMOVE`);
    if (o.value !== undefined && typeof o.value !== 'string') errs.push(`${at}.value: must be a string`);
    const upsert = o.operation === undefined || o.operation === 'UPSERT';
    if (upsert && !o.value) errs.push(`${at}: tagOverrides.value must be set when operation is UPSERT`);
    if (!upsert && o.value) errs.push(`${at}: tagOverrides.value may only be set when operation is UPSERT`);
  }
};

const metrics = obj({
  providers,
  reportingInterval: parsed(parseIstioDuration),
  overrides: list(
    obj({
      match: all(
        obj({ metric: oneOf(...METRICS), customMetric: str, mode: oneOf('CLIENT_AND_SERVER', 'CLIENT', 'SERVER') }),
        rule((o) => (o.customMetric === '' ? [['customMetric', 'customMetric may not be empty']] : [])),
      ),
      disabled: bool,
      tagOverrides,
    }),
  ),
});

export const telemetrySpec = all(
  obj({ ...targeting, accessLogging: list(accessLogging), tracing: list(tracing), metrics: list(metrics) }),
  oneTargeting,
);
