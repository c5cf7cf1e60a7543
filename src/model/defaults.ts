// The defaults of the APIs we read, each in one place and typed, so builders
// read complete values instead of repeating `?? '…'` with the default each
// time. Each says whose default it is.
import type { BackendRef, HTTPRouteMatch, ParentReference } from './gateway';
import type { AuthorizationPolicySpec, ServiceEntrySpec } from './istio';

/** Gateway API `BackendObjectReference.group`: "" (the core API group). */
export const backendRefGroup = (ref: Pick<BackendRef, 'group'>): string => ref.group ?? '';

/** Gateway API `BackendObjectReference.kind`: Service. */
export const backendRefKind = (ref: Pick<BackendRef, 'kind'>): string => ref.kind ?? 'Service';

/** Gateway API `ParentReference.group`: gateway.networking.k8s.io. */
export const parentRefGroup = (ref: Pick<ParentReference, 'group'>): string => ref.group ?? 'gateway.networking.k8s.io';

/** Gateway API `HTTPPathMatch.value`: "/" (with type PathPrefix). */
export const pathMatchValue = (p: HTTPRouteMatch['path']): string => p?.value ?? '/';

/** Istio `AuthorizationPolicy.action`: ALLOW (security/v1 authorization_policy.proto). */
export const authorizationAction = (
  spec: AuthorizationPolicySpec | undefined,
): NonNullable<AuthorizationPolicySpec['action']> => spec?.action ?? 'ALLOW';

/** Istio `ServiceEntry.resolution`: NONE (the enum's zero value). */
export const serviceEntryResolution = (
  spec: ServiceEntrySpec | undefined,
): NonNullable<ServiceEntrySpec['resolution']> => spec?.resolution ?? 'NONE';

/** Kubernetes: a pod without `serviceAccountName` runs as `default` (the ServiceAccount admission plugin sets it). */
export const podServiceAccount = (spec: { serviceAccountName?: string } | undefined): string =>
  spec?.serviceAccountName ?? 'default';

/** Gateway API `GatewayStatusAddress.type`: IPAddress. */
export const gatewayAddressType = (a: { type?: string }): string => a.type ?? 'IPAddress';

/** Istio Telemetry `MetricSelector.metric`: ALL_METRICS (the enum's zero value). */
export const telemetryMetric = (m: { metric?: string } | undefined): string => m?.metric ?? 'ALL_METRICS';

/** The canonical revision without a label naming one (`pkg/kube/labels/labels.go: CanonicalService`). */
export const DEFAULT_CANONICAL_REVISION = 'latest';

/** Gateway API `BackendRef.weight`: 1. */
export const backendRefWeight = (ref: { weight?: number }): number => ref.weight ?? 1;

/** Gateway API `HTTPRequestRedirectFilter.statusCode`: 302. */
export const redirectStatusCode = (r: { statusCode?: number }): number => r.statusCode ?? 302;

/** Gateway API `Fraction.denominator` (of a request mirror): 100. */
export const fractionDenominator = (f: { denominator?: number }): number => f.denominator ?? 100;

// Defaults of fields the translator read with `??` at each use.

/** Gateway API `HTTPRouteRetry.attempts` unset: istiod makes 2 attempts (conversion.go: convertHTTPRoute). */
export const httpRouteRetryAttempts = (r: { attempts?: number }): number => r.attempts ?? 2;

/** Gateway API `RetryConstraint.minRetryRate.count`: 10 (the CRD's default, which backend_policies.go repeats). */
export const minRetryRateCount = (rc: { minRetryRate?: { count?: number } }): number => rc.minRetryRate?.count ?? 10;

/** Gateway API `BudgetDetails.interval`: 10s (the CRD's default; backend_policies.go sets the same). */
export const RETRY_BUDGET_INTERVAL = '10s';

/** Istio DestinationRule `RetryBudget.percent`: 20 (cluster_traffic_policy.go: applyRetryBudget). */
export const retryBudgetPercent = (rb: { percent?: number }): number => rb.percent ?? 20;

/** Istio DestinationRule `RetryBudget.minRetryConcurrency` unset or 0: 3 (cluster_traffic_policy.go: applyRetryBudget). */
export const retryBudgetMinConcurrency = (rb: { minRetryConcurrency?: number }): number =>
  rb.minRetryConcurrency ? rb.minRetryConcurrency : 3;

/** Istio `WarmupConfiguration.aggression`: 1, a linear ramp (cluster_traffic_policy.go: setWarmup). */
export const warmupAggression = (w: { aggression?: number }): number => w.aggression ?? 1;

/** Istio `WarmupConfiguration.minimumPercent`: 10 (cluster_traffic_policy.go: setWarmup). */
export const warmupMinimumPercent = (w: { minimumPercent?: number }): number => w.minimumPercent ?? 10;

/** Istio mesh config ext authz provider `timeout`: 600s (authz/builder/extauthz.go: timeoutOrDefault). */
export const EXT_AUTHZ_TIMEOUT_MS = 600_000;
