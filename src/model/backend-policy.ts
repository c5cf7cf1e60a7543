import { int, list, obj, oneOf, rule, str, type Check } from './checks';
import type { NamespacedObject } from './meta';

// Gateway API backend policies istiod turns into DestinationRules
// (pilot/pkg/config/kube/gateway/backend_policies.go).

export interface LocalTargetRef {
  group: string;
  kind: string;
  name: string;
  sectionName?: string;
}

export interface BackendTLSPolicySpec {
  targetRefs: LocalTargetRef[];
  validation: {
    caCertificateRefs?: { group: string; kind: string; name: string }[];
    wellKnownCACertificates?: string;
    hostname: string;
    subjectAltNames?: { type: 'Hostname' | 'URI'; hostname?: string; uri?: string }[];
  };
  options?: Record<string, string>;
}

export type BackendTLSPolicy = NamespacedObject<'BackendTLSPolicy', BackendTLSPolicySpec>;

export interface XBackendTrafficPolicySpec {
  targetRefs: LocalTargetRef[];
  retryConstraint?: {
    budget?: { percent?: number; interval?: string };
    minRetryRate?: { count?: number; interval?: string };
  };
  sessionPersistence?: Record<string, unknown>;
}

export type XBackendTrafficPolicy = NamespacedObject<'XBackendTrafficPolicy', XBackendTrafficPolicySpec>;

const targetRef = obj({ group: str, kind: str, name: str, sectionName: str }, ['group', 'kind', 'name']);

// The CRDs' own limits: 1-16 targets, at most 8 CA refs, CA refs and well-known
// CAs exclusive (BackendTLSPolicyValidation's CEL rules).
export const backendTLSPolicySpec: Check = obj(
  {
    targetRefs: list(targetRef, { min: 1 }),
    validation: obj(
      {
        caCertificateRefs: list(obj({ group: str, kind: str, name: str }, ['group', 'kind', 'name'])),
        wellKnownCACertificates: str,
        hostname: str,
        subjectAltNames: list(obj({ type: oneOf('Hostname', 'URI'), hostname: str, uri: str }, ['type'])),
      },
      ['hostname'],
    ),
  },
  ['targetRefs', 'validation'],
);

export const backendTLSPolicyRules: Check = rule((o) => {
  const v = (o.spec as { validation?: { caCertificateRefs?: unknown[]; wellKnownCACertificates?: unknown } })
    ?.validation;
  if (!v) return [];
  const refs = v.caCertificateRefs?.length ?? 0;
  if (refs > 0 && v.wellKnownCACertificates !== undefined)
    return [['spec.validation', 'must not contain both caCertificateRefs and wellKnownCACertificates']];
  if (refs === 0 && v.wellKnownCACertificates === undefined)
    return [['spec.validation', 'must specify either caCertificateRefs or wellKnownCACertificates']];
  return [];
});

export const xBackendTrafficPolicySpec: Check = obj(
  {
    targetRefs: list(targetRef, { min: 1 }),
    retryConstraint: obj({
      budget: obj({ percent: int(0, 100), interval: str }),
      minRetryRate: obj({ count: int(0), interval: str }),
    }),
  },
  ['targetRefs'],
);
