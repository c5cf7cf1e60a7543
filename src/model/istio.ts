import type { Condition, NamespacedObject } from './meta';
import type { TrafficPolicy } from './traffic-policy';

// Istio kinds, with the fields the control plane reads.

export interface PolicyTargetReference {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface WorkloadSelector {
  matchLabels?: Record<string, string>;
}

export interface Targeting {
  selector?: WorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
}

export interface AuthzSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  trustDomains?: string[];
  notTrustDomains?: string[];
}

export interface AuthzOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthzRule {
  from?: { source?: AuthzSource }[];
  to?: { operation?: AuthzOperation }[];
  when?: { key: string; values?: string[]; notValues?: string[] }[];
}

export interface AuthorizationPolicySpec extends Targeting {
  action?: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  provider?: { name: string };
  rules?: AuthzRule[];
}

export interface IstioStatus {
  conditions?: Condition[];
  validationMessages?: unknown[];
}

export type AuthorizationPolicy = NamespacedObject<'AuthorizationPolicy', AuthorizationPolicySpec, IstioStatus> & {
  /**
   * Set when load dropped invalid rules (model/fail-closed.ts): the index each
   * served rule had in the policy as written, so RBAC keys keep istiod's
   * numbering and a policy whose rules were all dropped is not read as one
   * written without rules. Never sent to the API server.
   */
  ruleIndexes?: readonly number[];
};

export interface JWTRule {
  issuer: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  fromParams?: string[];
  fromCookies?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: { header: string; claim: string }[];
  /** A duration string (`5s`, `1.5s`, `300ms`): how long fetching the JWKS may take. */
  timeout?: string;
  spaceDelimitedClaims?: string[];
}

export type RequestAuthentication = NamespacedObject<
  'RequestAuthentication',
  Targeting & { jwtRules?: JWTRule[] },
  IstioStatus
>;

/** Telemetry's workload-mode selector: which side of a connection an entry configures. */
export interface TelemetryMatch {
  mode?: 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';
}

export type TracingCustomTag =
  | { literal: { value: string } }
  | { header: { name: string; defaultValue?: string } }
  | { environment: { name: string; defaultValue?: string } };

export interface TelemetrySpec extends Targeting {
  accessLogging?: {
    providers?: { name: string }[];
    disabled?: boolean;
    filter?: { expression?: string };
    match?: TelemetryMatch;
  }[];
  metrics?: {
    providers?: { name: string }[];
    overrides?: {
      match?: TelemetryMatch & { metric?: string; customMetric?: string };
      disabled?: boolean;
      tagOverrides?: Record<string, { operation?: 'UPSERT' | 'REMOVE'; value?: string }>;
    }[];
    reportingInterval?: string;
  }[];
  tracing?: {
    providers?: { name: string }[];
    match?: TelemetryMatch;
    randomSamplingPercentage?: number;
    disableSpanReporting?: boolean;
    customTags?: Record<string, TracingCustomTag>;
    useRequestIdForTraceSampling?: boolean;
    enableIstioTags?: boolean;
  }[];
}

export type Telemetry = NamespacedObject<'Telemetry', TelemetrySpec, IstioStatus>;
export type WasmPlugin = NamespacedObject<
  'WasmPlugin',
  Targeting & { url?: string; phase?: string; pluginConfig?: unknown },
  IstioStatus
>;
export type EnvoyFilter = NamespacedObject<
  'EnvoyFilter',
  // EnvoyFilter's selector is `labels`, unlike the `matchLabels` of the other kinds.
  {
    workloadSelector?: { labels?: Record<string, string> };
    targetRefs?: PolicyTargetReference[];
    configPatches?: unknown[];
  },
  IstioStatus
>;

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: { number: number; protocol?: string; name: string; targetPort?: number }[];
  location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'DYNAMIC_DNS';
  endpoints?: {
    address?: string;
    ports?: Record<string, number>;
    labels?: Record<string, string>;
    /** `region/zone/subzone` (locality-lb.ts ranks by it). */
    locality?: string;
  }[];
  workloadSelector?: { labels?: Record<string, string> };
  subjectAltNames?: string[];
}

/** istiod's IP allocator writes the addresses it gave each host here (ipallocate.go). */
export interface ServiceEntryStatus extends IstioStatus {
  addresses?: { value: string; host?: string }[];
}

export type ServiceEntry = NamespacedObject<'ServiceEntry', ServiceEntrySpec, ServiceEntryStatus>;
export type WorkloadEntry = NamespacedObject<
  'WorkloadEntry',
  {
    address?: string;
    ports?: Record<string, number>;
    labels?: Record<string, string>;
    serviceAccount?: string;
    network?: string;
    locality?: string;
  },
  IstioStatus
>;
/** DestinationRule `trafficPolicy.tls`: how a client secures connections to the host. */
export interface ClientTLSSettings {
  mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
  caCrl?: string;
}

export type DestinationRule = NamespacedObject<
  'DestinationRule',
  {
    host: string;
    subsets?: { name: string; labels?: Record<string, string>; trafficPolicy?: TrafficPolicy }[];
    trafficPolicy?: TrafficPolicy;
    workloadSelector?: WorkloadSelector;
    exportTo?: string[];
  },
  IstioStatus
>;

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationSpec {
  selector?: WorkloadSelector;
  mtls?: { mode?: MtlsMode };
  /** Keyed by workload (container) port; only allowed with a selector. */
  portLevelMtls?: Record<string, { mode?: MtlsMode }>;
}

export type PeerAuthentication = NamespacedObject<'PeerAuthentication', PeerAuthenticationSpec, IstioStatus>;
