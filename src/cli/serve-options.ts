import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DEFAULT_DEPLOY } from '../controller/waypoint-objects';
import { DEFAULT_WEBHOOK_CONFIG } from '../controller/webhook-config';
import { DEFAULT_SCOPE, DEFAULT_TRUST_DOMAIN, ROOT_NAMESPACE, TOKEN_AUDIENCE } from '../model';
import { CA_FLAGS, caFlags } from './serve-ca';
import { CommandError, UsageError } from './errors';
import { NO_CLUSTER } from './kube-context';
import { parse, parseDuration, parsePort, oneOf } from './flags';
import { LOG_LEVELS } from '../server/log';
import type { ServeOptions } from '../server/options';

// serve's flags and usage, read into the server's options (server/options.ts): what it is
// asked to do, checked before anything starts.

export const USAGE = `usage: istiod-lite serve [flags]

Serves waypoint configuration over ADS. With --config-dir it serves the
manifests there and reloads them on change (the bundled example:
--config-dir examples/bookinfo). Otherwise it watches the cluster kubectl
would use: --kubeconfig, $KUBECONFIG, ~/.kube/config, or the one it runs in;
with none of them it says so and exits. Durations are Go durations
(100ms, 1m30s). It warns when it serves no xDS port at all.

flags:
  --kubeconfig PATH        watch the cluster this kubeconfig points at (default: $KUBECONFIG)
  --config-dir DIR         serve the manifests in DIR (YAML/JSON, recursive)
  --listen-address ADDR    address the TLS xDS port binds to (default 0.0.0.0)
  --xds-port N|off         plaintext xDS port, unauthenticated, for local use (default
                           15010 with --config-dir; off against a cluster unless given)
  --xds-address ADDR       address the plaintext xDS port binds to (default 127.0.0.1);
                           anyone who reaches it can read and subscribe to any proxy's config
  --xds-tls-port N         TLS xDS port (default 15012; needs --tls-cert-file and --tls-key-file);
                           every stream authenticates with a service-account token
                           (Kubernetes mode) or a client certificate (with --tls-ca-file)
  --tls-cert-file PATH     server certificate (PEM) for the TLS port; reloaded when it changes
  --tls-key-file PATH      server private key (PEM) for the TLS port
  --tls-ca-file PATH       CA bundle for client certificates (a spiffe:// URI SAN names the identity)
  --webhook-port N         validating admission webhook HTTPS port (istiod's is 15017), on the
                           TLS certificate; off unless given
  --webhook-config NAME    ValidatingWebhookConfiguration whose CA bundle and failurePolicy
                           the server keeps current (default ${DEFAULT_WEBHOOK_CONFIG})
  --webhook-ca-file PATH   CA that signs the serving certificate, for that CA bundle
                           (default: --tls-ca-file)
  --trust-domain TD        trust domain of client identities (default ${DEFAULT_TRUST_DOMAIN})
  --token-audience AUD     audience proxy tokens must carry, comma-separated (default ${TOKEN_AUDIENCE})
  --system-namespace NS    the control plane's namespace: its identities may read every
                           proxy's status (default $POD_NAMESPACE or ${ROOT_NAMESPACE})
  --debug-address ADDR     address the debug port binds to (default 127.0.0.1); /ready and
                           /metrics answer anyone who reaches it, /debug/* only this machine
  --expose-debug           serve /debug/* to other machines too (it shows every proxy's config)
  --debug-port N           debug and metrics HTTP port (default 15014)
  --debounce-after DUR     quiet period before a push (default 100ms)
  --translate-all          translate every waypoint up front and on every change, not only
                           those a proxy is connected to (their EnvoyAccepted refusals then
                           show for every waypoint)
  --debounce-max DUR       longest a push waits under constant change (default 10s)
  --log-level LEVEL        ${LOG_LEVELS.join('|')} (default info)
  --proxy-image IMAGE      image of the waypoint Deployments (Kubernetes mode)
  --discovery-address A    control-plane address waypoints connect to (default ${DEFAULT_DEPLOY.discoveryAddress})
  --lease-duration DUR     leader lease duration (default 15s)
  --lease-renew DUR        how often the leader renews its lease (default 5s; less than
                           --lease-duration)
  --gateway-class NAME     the waypoint GatewayClass served (default ${DEFAULT_SCOPE.gatewayClass});
                           another name lets istiod-lite run beside istiod
  --controller-name NAME   that class's controllerName, and ours in the statuses we write
                           (default ${DEFAULT_SCOPE.controllerName})
  --revision REV           deploy and report only waypoints labelled istio.io/rev=REV (or in a
                           namespace so labelled); default: those with no revision label
  --ca auto|on|off         serve istio.v1.auth.IstioCertificateService on the TLS port (default
                           auto: when the TLS port is served against a cluster, or with
                           --cacerts-dir). on also serves the TLS port without --tls-cert-file,
                           on a certificate the CA issues itself
  --cacerts-dir DIR        plug-in CA: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem
                           (default: the cacerts Secret, else a self-signed root kept in the
                           istio-ca-secret Secret; without a cluster, a root made in memory)
  --ca-trusted-node-accounts LIST
                           namespace/serviceaccount of node proxies that may ask for certificates
                           of pods on their node (default <system namespace>/ztunnel; "" for none)
  --workload-cert-ttl DUR  certificate lifetime when a request asks for none (default 24h)
  --max-workload-cert-ttl DUR
                           longest lifetime a request may ask for (default 2160h)
  --serving-dns-names LIST DNS names of the certificate the CA issues for the TLS port
                           (default istiod-lite.<system namespace>.svc)
  --waypoint-ca-address A  CA_ADDR of the waypoint Deployments (default: --discovery-address);
                           istiod's address when istiod issues the certificates
  --ca-reload DUR          how often the CA's Secrets or --cacerts-dir are read again, and its
                           own certificate renewed when half its life has passed (default 60s)

In Kubernetes mode one replica, elected with a Lease, creates each waypoint's
Deployment, Service and ServiceAccount and writes statuses.`;

const FLAGS = {
  kubeconfig: { type: 'string' },
  'config-dir': { type: 'string' },
  'listen-address': { type: 'string', default: '0.0.0.0' },
  'xds-port': { type: 'string' },
  'xds-address': { type: 'string', default: '127.0.0.1' },
  'xds-tls-port': { type: 'string', default: '15012' },
  'tls-cert-file': { type: 'string' },
  'tls-key-file': { type: 'string' },
  'tls-ca-file': { type: 'string' },
  'webhook-port': { type: 'string' },
  'webhook-config': { type: 'string', default: DEFAULT_WEBHOOK_CONFIG },
  'webhook-ca-file': { type: 'string' },
  'trust-domain': { type: 'string', default: DEFAULT_TRUST_DOMAIN },
  'token-audience': { type: 'string', default: TOKEN_AUDIENCE },
  'system-namespace': { type: 'string' },
  'debug-address': { type: 'string', default: '127.0.0.1' },
  'debug-port': { type: 'string', default: '15014' },
  'expose-debug': { type: 'boolean', default: false },
  'debounce-after': { type: 'string', default: '100ms' },
  'translate-all': { type: 'boolean', default: false },
  'debounce-max': { type: 'string', default: '10s' },
  'log-level': { type: 'string', default: 'info' },
  'proxy-image': { type: 'string', default: DEFAULT_DEPLOY.image },
  'lease-duration': { type: 'string', default: '15s' },
  'lease-renew': { type: 'string', default: '5s' },
  'discovery-address': { type: 'string', default: DEFAULT_DEPLOY.discoveryAddress },
  'gateway-class': { type: 'string', default: DEFAULT_SCOPE.gatewayClass },
  'controller-name': { type: 'string', default: DEFAULT_SCOPE.controllerName },
  revision: { type: 'string', default: DEFAULT_SCOPE.revision },
  ...CA_FLAGS,
} as const;

export function serveOptions(argv: string[]): { opts: ServeOptions; logLevel: string } {
  const { values, positionals } = parse(argv, FLAGS, false);
  void positionals;
  // Read once here so a wrong path fails at start with the flag's name;
  // the TLS port itself watches the files.
  const read = (flag: string, path: string) => {
    try {
      readFileSync(path);
      return path;
    } catch (e) {
      throw new CommandError(`--${flag}: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const plain = values['xds-port'];
  const cert = values['tls-cert-file'];
  const key = values['tls-key-file'];
  if ((cert === undefined) !== (key === undefined)) {
    throw new CommandError('--tls-cert-file and --tls-key-file go together');
  }
  const ca = values['tls-ca-file'];
  const hookPort = values['webhook-port'];
  const hookCa = values['webhook-ca-file'] ?? ca;
  if (hookPort !== undefined && !cert && values.ca !== 'on')
    throw new CommandError('--webhook-port serves HTTPS: give --tls-cert-file and --tls-key-file, or --ca on');
  // Flags are checked before the environment is looked at for a cluster.
  const lease = leaseTimes(values['lease-duration'], values['lease-renew']);
  return {
    logLevel: oneOf('log-level', values['log-level'], LOG_LEVELS),
    opts: {
      kubeconfig: values.kubeconfig ?? (values['config-dir'] ? undefined : sourceFromEnvironment()),
      configDir: values['config-dir'],
      listenAddress: values['listen-address'],
      xdsAddress: values['xds-address'],
      xdsPort: plain === undefined ? undefined : plain === 'off' ? null : parsePort('xds-port', plain),
      xdsTlsPort: parsePort('xds-tls-port', values['xds-tls-port']),
      tls:
        cert && key
          ? {
              certFile: read('tls-cert-file', cert),
              keyFile: read('tls-key-file', key),
              caFile: ca ? read('tls-ca-file', ca) : undefined,
            }
          : undefined,
      auth: {
        trustDomain: values['trust-domain'],
        audiences: values['token-audience']
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
        systemNamespace: values['system-namespace'] ?? (process.env.POD_NAMESPACE || ROOT_NAMESPACE),
      },
      webhook:
        hookPort !== undefined
          ? {
              port: parsePort('webhook-port', hookPort),
              configName: values['webhook-config'],
              caFile: hookCa ? read(values['webhook-ca-file'] ? 'webhook-ca-file' : 'tls-ca-file', hookCa) : undefined,
            }
          : undefined,
      debugAddress: values['debug-address'],
      debugPort: parsePort('debug-port', values['debug-port']),
      exposeDebug: values['expose-debug'],
      debounce: {
        quietMs: parseDuration('debounce-after', values['debounce-after']),
        maxMs: parseDuration('debounce-max', values['debounce-max']),
      },
      deploy: {
        image: values['proxy-image'],
        discoveryAddress: values['discovery-address'],
        caAddress: values['waypoint-ca-address'],
      },
      scope: {
        gatewayClass: values['gateway-class'],
        controllerName: values['controller-name'],
        revision: values.revision === 'default' ? '' : values.revision,
      },
      lease,
      ca: caFlags(values, cert !== undefined),
      translateAll: values['translate-all'],
    },
  };
}

/**
 * A leader renewing no sooner than its lease runs out loses it between
 * renewals, so the replicas would take turns writing (client-go's
 * leaderelection refuses LeaseDuration <= RenewDeadline for the same reason).
 */
function leaseTimes(duration: string, renew: string): { durationMs: number; renewMs: number } {
  const durationMs = parseDuration('lease-duration', duration);
  const renewMs = parseDuration('lease-renew', renew);
  if (renewMs <= 0) throw new UsageError(`--lease-renew: must be more than 0 (got ${renew})`);
  if (renewMs >= durationMs)
    throw new UsageError(`--lease-renew (${renew}) must be shorter than --lease-duration (${duration})`);
  return { durationMs, renewMs };
}

/**
 * $KUBECONFIG, as kubectl reads it, when neither --kubeconfig nor
 * --config-dir says where the configuration comes from: its first file that
 * exists (client-go merges several; serve watches one cluster).
 */
function kubeconfigFromEnv(): string | undefined {
  const paths = (process.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  return paths.find((p) => existsSync(p));
}

/**
 * Where serve's configuration comes from when no flag says: $KUBECONFIG, else
 * ~/.kube/config, else the in-cluster environment (undefined: the pipeline
 * finds it), as kubectl looks. With none of them it is an error: the bundled
 * example is served only when named (--config-dir examples/bookinfo).
 */
function sourceFromEnvironment(): string | undefined {
  const fromEnv = kubeconfigFromEnv();
  if (fromEnv) return fromEnv;
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return home;
  if (process.env.KUBERNETES_SERVICE_HOST && process.env.KUBERNETES_SERVICE_PORT) return undefined;
  throw new CommandError(
    `${NO_CLUSTER}: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config; or serve manifests with --config-dir DIR (the bundled example: --config-dir examples/bookinfo)`,
  );
}
