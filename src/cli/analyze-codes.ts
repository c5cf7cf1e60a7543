// Every code `analyze` reports, in one place. IST codes are istioctl's, for the
// same finding (istio `pkg/config/analysis/msg/messages.yaml`); ISL codes are
// ours, for what istioctl does not check.
export const CODE = {
  deprecated: 'IST0002',
  referenceNotFound: 'IST0101',
  multiPortWithoutPort: 'IST0112',
  tlsWithoutCaCertificates: 'IST0128',
  tlsPortWithoutCaCertificates: 'IST0129',
  invalidTelemetryProvider: 'IST0157',
  conflictingTelemetrySelectors: 'IST0159',
  multipleTelemetriesWithoutSelector: 'IST0160',
  selectorOnWaypoint: 'IST0166',
  negativeCondition: 'IST0171',
  notEnrolled: 'ISL0001',
  routeWithoutWaypoint: 'ISL0002',
  unsupportedKind: 'ISL0003',
  hostWithoutAddress: 'ISL0004',
  dynamicDnsWithoutWaypoint: 'ISL0005',
  sourceLabelsOnWaypoint: 'ISL0006',
  unusableTelemetryProvider: 'ISL0007',
  unusableDelegate: 'ISL0008',
} as const;

export const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute'] as const;
