import type { Command } from './commands';
import { UsageError, CommandError } from './errors';
import { oneOf, parse } from './flags';
import { formatted, write } from './output';
import { loadManifestFiles } from './world-loader';
import { INPUT_FLAGS, INPUT_USAGE } from './manifest-input';
import { DEFAULT_OPTIONS, translateAll } from '../translate';
import { withResolvedJwks } from '../jwks/resolver';
import { renderWaypoint } from '../translate/render';
import { explain, ExplainError, type EnvoyConfig, type ExplainInput, type Explanation } from '../explain';
import { explanationText } from '../explain/text';
import type { AmbientIndex } from '../ambient';
import type { World } from '../model';
import { fetchDump, resolveProxy } from './proxy-config';
import type { Dump } from './config-dump';
import { KUBE_FLAGS, KUBE_USAGE } from './kube-context';
import { loadWorld } from './world-loader';

const USAGE = `usage: istiod-lite explain [-f FILE_OR_DIR …] [-R] [--debug-address HOST:PORT] --to HOST|IP[:PORT] [--from WORKLOAD|NS/POD|IP]
       [--method M] [--path P] [-H name=value …] [--jwt TOKEN | --jwt-claims JSON] [--principal SPIFFE_ID]
       [--tcp] [--sni NAME] [-n NS] [-o text|json|yaml] [--offline]

Follows one request through the mesh as the waypoint would handle it: the
waypoint serving the destination and why (its istio.io/use-waypoint label),
the main_internal filter chain it lands on, each jwt_authn, RBAC and
ext_authz filter in order (AUDIT, CUSTOM, DENY, ALLOW, with the policy and
rule that decided), the route RDS picks and the routes before it that did not
match, and the cluster and endpoints behind it. It ends in the answer:
forwarded to a cluster, 403 RBAC: access denied, 401 Jwt is missing, 404 (no
route: NR), 503 no healthy upstream, or a TCP connection forwarded or closed.

It evaluates Envoy configuration, not the policies themselves, so its answer
is also a check of that configuration: offline (-f alone), the configuration
translated from the manifests, as translate prints it; with --debug-address,
what a running server serves a connected proxy of the waypoint (its
/debug/config_dump, as proxy-config reads it), with names resolved in the
cluster of the current kubeconfig, the -f manifests laid over it.

flags:
${INPUT_USAGE}
  --to HOST[:PORT]        destination: a Service (name, name.ns, FQDN), a ServiceEntry host, or an IP; port 80 if not given
  --from WORKLOAD         caller: ns/pod, a pod name or Deployment name, or an IP; gives its IP and SPIFFE ID
  -n, --namespace NS      namespace for short names (default: the caller's, else the kubeconfig context's, else default)
  --method M              HTTP method (default GET)
  --path P                HTTP path with query (default /)
  -H, --header name=value request header, repeatable (Host sets the authority)
  --jwt TOKEN             send this token as Authorization: Bearer (checked against inline JWKS)
  --jwt-claims JSON       send a token with these claims, taken as validly signed
  --principal ID          the caller's SPIFFE ID (instead of the --from workload's)
  --tcp                   plain TCP bytes rather than HTTP
  --sni NAME              the TLS server name the client sends (TCP/TLS routes)
  -o, --output FORMAT     text (default), json or yaml
  --offline               do not fetch remote JWKS
  --debug-address HOST:PORT  a running server's debug port: evaluate what it serves the waypoint
${KUBE_USAGE}`;

function headerPairs(list: readonly string[]): [string, string][] {
  return list.map((h) => {
    const i = h.search(/[=:]/);
    if (i <= 0) throw new UsageError(`-H ${h}: want name=value`);
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
  });
}

export const explainCommand: Command = {
  name: 'explain',
  summary: "follow one request through its waypoint's configuration to its answer",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...INPUT_FLAGS,
        to: { type: 'string' },
        from: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        method: { type: 'string', default: 'GET' },
        path: { type: 'string', default: '/' },
        header: { type: 'string', short: 'H', multiple: true },
        jwt: { type: 'string' },
        'jwt-claims': { type: 'string' },
        principal: { type: 'string' },
        tcp: { type: 'boolean', default: false },
        sni: { type: 'string' },
        output: { type: 'string', short: 'o', default: 'text' },
        offline: { type: 'boolean', default: false },
        'debug-address': { type: 'string' },
        ...KUBE_FLAGS,
      },
      false,
    );
    const files = values.filename ?? [];
    const online = values['debug-address'];
    if (files.length === 0 && online === undefined)
      throw new UsageError('-f FILE_OR_DIR (or --debug-address) is required');
    if (!values.to) throw new UsageError('--to HOST[:PORT] is required');
    if (values.jwt !== undefined && values['jwt-claims'] !== undefined)
      throw new UsageError('--jwt and --jwt-claims cannot be used together');
    const format = oneOf('output', values.output, ['text', 'json', 'yaml'] as const);
    let claims: Record<string, unknown> | undefined;
    if (values['jwt-claims'] !== undefined) {
      try {
        const v: unknown = JSON.parse(values['jwt-claims']);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        claims = v as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`--jwt-claims: not a JSON object (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    const input: ExplainInput = {
      to: values.to,
      namespace: values.namespace ?? 'default',
      protocol: values.tcp ? 'tcp' : 'http',
      method: values.method.toUpperCase(),
      path: values.path.startsWith('/') ? values.path : `/${values.path}`,
      headers: headerPairs(values.header ?? []),
      nowSeconds: Math.floor(Date.now() / 1000),
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.jwt !== undefined ? { jwt: values.jwt } : {}),
      ...(claims ? { jwtClaims: claims } : {}),
      ...(values.principal !== undefined ? { principal: values.principal } : {}),
      ...(values.sni !== undefined ? { sni: values.sni } : {}),
    };
    let e: Explanation;
    try {
      e =
        online === undefined
          ? await offline(files, values.recursive, values.offline, input)
          : await fromServer(
              online,
              { files, recursive: values.recursive, kubeconfig: values.kubeconfig, context: values.context },
              input,
              values.namespace === undefined,
            );
    } catch (err) {
      if (err instanceof ExplainError) throw new CommandError(err.message);
      throw err;
    }
    write(format === 'text' ? explanationText(e) : formatted(e, format));
  },
};

/** The configuration translate would print for these manifests. */
async function offline(
  files: string[],
  recursive: boolean | undefined,
  noFetch: boolean,
  input: ExplainInput,
): Promise<Explanation> {
  const loaded = loadManifestFiles(files, recursive);
  const world = noFetch ? loaded.world : await withResolvedJwks(loaded.world, DEFAULT_OPTIONS.rootNamespace);
  const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
  const configOf = (key: string): EnvoyConfig | undefined => {
    const w = result.waypoints.get(key);
    if (!w) return undefined;
    const r = renderWaypoint(w);
    return {
      listeners: r.listeners ?? [],
      routes: r.routes ?? [],
      clusters: r.clusters ?? [],
      endpoints: r.endpoints ?? [],
    };
  };
  return {
    ...explain(world, result.index, configOf, input, DEFAULT_OPTIONS.trustDomain),
    configuration: 'translated from the manifests',
  };
}

/** A config dump's resources by section, as the evaluator reads them. */
export function configOfDump(dump: Dump): EnvoyConfig {
  const section = (t: string) => dump.configs.find((c) => c.type === t)?.resources.map((r) => r.resource) ?? [];
  return { listeners: section('LDS'), routes: section('RDS'), clusters: section('CDS'), endpoints: section('EDS') };
}

/**
 * What a running server serves the waypoint: the waypoint is found in the
 * cluster's (or the files') objects, then one connected proxy of its
 * Deployment is asked for, as proxy-config deploy/<name> does.
 */
async function fromServer(
  address: string,
  opts: { files: string[]; recursive?: boolean; kubeconfig?: string; context?: string },
  given: ExplainInput,
  contextNamespace: boolean,
): Promise<Explanation> {
  const loaded: { world: World; index: AmbientIndex; namespace: string } = await loadWorld(opts);
  // Without -n, short names are the kubeconfig context's namespace's, as kubectl reads them.
  const input = contextNamespace ? { ...given, namespace: loaded.namespace } : given;
  const first = explain(loaded.world, loaded.index, () => undefined, input, DEFAULT_OPTIONS.trustDomain);
  const wp = first.waypoint?.waypoint;
  if (wp === undefined) return first;
  const [ns = 'default', name = ''] = wp.split('/');
  const proxy = await resolveProxy(address, `deploy/${name}`, ns);
  const cfg = configOfDump(await fetchDump(address, proxy));
  return {
    ...explain(loaded.world, loaded.index, (k) => (k === wp ? cfg : undefined), input, DEFAULT_OPTIONS.trustDomain),
    configuration: `served to ${proxy} by ${address}`,
  };
}
