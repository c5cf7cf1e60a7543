import type { NamespacedObject } from './meta';
import type { IstioStatus } from './istio';

// networking.istio.io VirtualService, with the fields a waypoint reads
// (istio.io/api networking/v1alpha3/virtual_service.proto).

/** One of exact, prefix or regex. */
export interface VsStringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface VsDestination {
  host: string;
  subset?: string;
  port?: { number?: number };
}

export interface VsHeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface VsHeaders {
  request?: VsHeaderOperations;
  response?: VsHeaderOperations;
}

export interface VsHttpMatch {
  name?: string;
  uri?: VsStringMatch;
  scheme?: VsStringMatch;
  method?: VsStringMatch;
  authority?: VsStringMatch;
  headers?: Record<string, VsStringMatch>;
  withoutHeaders?: Record<string, VsStringMatch>;
  queryParams?: Record<string, VsStringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
  ignoreUriCase?: boolean;
  statPrefix?: string;
}

export interface VsPercent {
  value?: number;
}

export interface VsHttpRoute {
  name?: string;
  match?: VsHttpMatch[];
  route?: { destination: VsDestination; weight?: number; headers?: VsHeaders }[];
  redirect?: {
    uri?: string;
    authority?: string;
    port?: number;
    derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
    scheme?: string;
    redirectCode?: number;
    prefixRewrite?: string;
  };
  directResponse?: { status: number; body?: { string?: string; bytes?: string } };
  delegate?: { name?: string; namespace?: string };
  rewrite?: { uri?: string; authority?: string; uriRegexRewrite?: { match?: string; rewrite?: string } };
  timeout?: string;
  retries?: {
    attempts?: number;
    perTryTimeout?: string;
    retryOn?: string;
    retryRemoteLocalities?: boolean;
    retryIgnorePreviousHosts?: boolean;
    backoff?: string;
  };
  fault?: {
    delay?: { fixedDelay?: string; exponentialDelay?: string; percentage?: VsPercent; percent?: number };
    abort?: { httpStatus?: number; grpcStatus?: string; http2Error?: string; percentage?: VsPercent };
  };
  mirror?: VsDestination;
  mirrorPercentage?: VsPercent;
  mirrorPercent?: number;
  mirrors?: { destination: VsDestination; percentage?: VsPercent }[];
  corsPolicy?: {
    allowOrigins?: VsStringMatch[];
    allowOrigin?: string[];
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    maxAge?: string;
    allowCredentials?: boolean;
    unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
  };
  headers?: VsHeaders;
}

export interface VsL4Match {
  port?: number;
  destinationSubnets?: string[];
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface VsRouteDestination {
  destination: VsDestination;
  weight?: number;
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  exportTo?: string[];
  http?: VsHttpRoute[];
  tls?: { match?: (VsL4Match & { sniHosts?: string[] })[]; route?: VsRouteDestination[] }[];
  tcp?: { match?: VsL4Match[]; route?: VsRouteDestination[] }[];
}

export type VirtualService = NamespacedObject<'VirtualService', VirtualServiceSpec, IstioStatus>;
