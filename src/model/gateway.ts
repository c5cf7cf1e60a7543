import type { Condition, KubeObject, NamespacedObject, LabelSelector } from './meta';

// Gateway API kinds, with the fields the control plane reads.

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  allowedRoutes?: {
    namespaces?: { from?: 'Same' | 'All' | 'Selector'; selector?: LabelSelector };
    kinds?: { group?: string; kind: string }[];
  };
}

export interface GatewaySpec {
  gatewayClassName: string;
  listeners?: GatewayListener[];
  addresses?: { type?: string; value: string }[];
}

export interface GatewayStatus {
  addresses?: { type?: string; value: string }[];
  conditions?: Condition[];
  listeners?: { name: string; supportedKinds?: unknown[]; attachedRoutes?: number; conditions?: Condition[] }[];
}

export type Gateway = NamespacedObject<'Gateway', GatewaySpec, GatewayStatus>;
export type GatewayClass = KubeObject<
  'GatewayClass',
  { controllerName: string; description?: string },
  { conditions?: Condition[] }
>;

export interface StringMatch {
  type?: string;
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: StringMatch[];
  queryParams?: StringMatch[];
  method?: string;
}

export interface HeaderModifier {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

export interface PathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: { scheme?: string; hostname?: string; path?: PathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: PathModifier };
  requestMirror?: { backendRef: BackendRef; percent?: number; fraction?: { numerator: number; denominator?: number } };
  extensionRef?: { group: string; kind: string; name: string };
  cors?: HTTPCORSFilter;
}

export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  retry?: { codes?: number[]; attempts?: number; backoff?: string };
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface RouteStatus {
  parents?: RouteParentStatus[];
}

export type HTTPRoute = NamespacedObject<
  'HTTPRoute',
  { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: HTTPRouteRule[] },
  RouteStatus
>;

export interface GRPCRouteMatch {
  method?: { type?: 'Exact' | 'RegularExpression'; service?: string; method?: string };
  headers?: StringMatch[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendRef[];
}

export type GRPCRoute = NamespacedObject<
  'GRPCRoute',
  { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: GRPCRouteRule[] },
  RouteStatus
>;
export type TCPRoute = NamespacedObject<
  'TCPRoute',
  { parentRefs?: ParentReference[]; rules?: { name?: string; backendRefs?: BackendRef[] }[] },
  RouteStatus
>;
export type TLSRoute = NamespacedObject<
  'TLSRoute',
  { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: { name?: string; backendRefs?: BackendRef[] }[] },
  RouteStatus
>;

export type ReferenceGrant = NamespacedObject<
  'ReferenceGrant',
  { from: { group: string; kind: string; namespace: string }[]; to: { group: string; kind: string; name?: string }[] }
>;
