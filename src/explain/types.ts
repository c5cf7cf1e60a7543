// The shapes of a request's journey, shared by the evaluator and the CLI.
import type { ClusterView } from './envoy-config';
import type { Headers } from './matchers';
import type { RbacResult } from './rbac';

export interface Flow {
  /** HTTP when the client speaks HTTP; tcp for other bytes. */
  protocol: 'http' | 'tcp';
  sourceIp?: string;
  /** The caller's SPIFFE ID, which connect_terminate keeps in filter state. */
  principal?: string;
  destIp: string;
  destPort: number;
  sni?: string;
  http?: { method: string; path: string; authority: string; headers: Headers };
  /** The clock jwt exp/nbf are checked against. */
  nowSeconds: number;
}

export type Outcome =
  | 'forwarded'
  | 'denied'
  | 'unauthenticated'
  | 'ext-authz'
  | 'no-route'
  | 'no-healthy-upstream'
  | 'cluster-not-found'
  | 'redirect'
  | 'direct-response'
  | 'tcp-forwarded'
  | 'tcp-closed'
  | 'no-chain'
  | 'no-waypoint'
  | 'unknown-destination';

export interface Verdict {
  outcome: Outcome;
  /** HTTP status the client sees, when there is one. */
  status?: number;
  /** Envoy's response flag or body, when it has one (NR, UH, "RBAC: access denied"). */
  detail?: string;
  summary: string;
}

export interface FilterStep {
  filter: string;
  kind: 'jwt_authn' | 'rbac' | 'ext_authz';
  summary: string;
  /** RBAC: the engines' results. */
  rbac?: RbacResult[];
  stops: boolean;
}

export interface RouteStep {
  routeConfiguration: string;
  virtualHost?: string;
  domain?: string;
  /** The chosen route, by position in the virtual host. */
  route?: { index: number; name?: string; match: string };
  /** Routes before the chosen one, and why each did not match. */
  passed: { index: number; name?: string; match: string; why: string }[];
  action?: string;
}

export interface ClusterStep extends ClusterView {
  weight?: number;
}

export interface EnvoyJourney {
  listener: string;
  chain?: string;
  chainSteps: string[];
  protocol: 'http' | 'tcp';
  notes: string[];
  filters: FilterStep[];
  route?: RouteStep;
  clusters: ClusterStep[];
  verdict: Verdict;
}
