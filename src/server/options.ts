// What the server is asked to run: the CLI's serve flags (cli/serve-options.ts)
// produce it, the server (server.ts) starts from it.
import type { WaypointDeployOptions } from '../controller/waypoint-objects';
import type { ControlPlaneScope } from '../model';

export interface ServeOptions {
  kubeconfig?: string;
  configDir?: string;
  listenAddress: string;
  /** Plaintext port; undefined: 15010 with manifests, off against a cluster; null: off. */
  xdsPort?: number | null;
  /** Address of the plaintext port (default 127.0.0.1: it trusts whoever reaches it). */
  xdsAddress?: string;
  xdsTlsPort: number;
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** Validating webhook: needs `tls`; caFile feeds the CA bundle of the named configuration. */
  webhook?: { port: number; configName: string; caFile?: string };
  /** Identities on the TLS port; defaults as in the usage text. */
  auth?: { trustDomain: string; audiences: string[]; systemNamespace: string };
  debugAddress: string;
  debugPort: number;
  exposeDebug?: boolean;
  debounce: { quietMs: number; maxMs: number };
  deploy?: WaypointDeployOptions;
  lease?: { durationMs: number; renewMs: number };
  /** The waypoint class, controller name and revision served (default: istiod's, default revision). */
  scope?: ControlPlaneScope;
  /** The certificate authority on the TLS port; undefined: off. */
  ca?: CaOptions;
  /** Translate every waypoint, not only the demanded ones. */
  translateAll?: boolean;
}

export interface CaOptions {
  /** auto: only where workloads can prove who they are to it (a cluster's tokens, or a plug-in CA's certificates). */
  mode: 'auto' | 'on';
  cacertsDir?: string;
  /** Undefined: `<system namespace>/ztunnel`, as istiod's ambient install sets CA_TRUSTED_NODE_ACCOUNTS. */
  trustedNodeAccounts?: Set<string>;
  defaultTtlMs: number;
  maxTtlMs: number;
  servingDnsNames?: string[];
  reloadMs: number;
}
