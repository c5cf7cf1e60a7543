import { KINDS } from '../../src/model';

/** One API resource the test server serves. */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Has a /status subresource: writes to the main resource leave status alone. */
  status: boolean;
  verbs: string[];
  /** Served only once a CustomResourceDefinition for it exists (when started without it). */
  crd: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A kind served at one version (`crd` when a CustomResourceDefinition serves it). */
export function r(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  status: boolean,
  crd = false,
  verbs = ALL_VERBS,
): ApiResource {
  return { group, version, kind, plural, namespaced, status, verbs, crd };
}

/** Every kind our model reads (all versions), plus what the controllers write. */
export function defaultResources(): ApiResource[] {
  const out: ApiResource[] = [];
  for (const k of KINDS) {
    const isCrd = k.group !== '' && !k.group.endsWith('k8s.io');
    const hasStatus = !['Namespace', 'ReferenceGrant', 'EndpointSlice'].includes(k.kind);
    for (const v of k.versions)
      out.push(
        r(k.group, v, k.kind, k.plural, k.namespaced, hasStatus, isCrd || k.group === 'gateway.networking.k8s.io'),
      );
  }
  out.push(
    r('', 'v1', 'ConfigMap', 'configmaps', true, false),
    r('', 'v1', 'Secret', 'secrets', true, false),
    r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, false),
    r('', 'v1', 'Endpoints', 'endpoints', true, false),
    r('', 'v1', 'Event', 'events', true, false),
    r('apps', 'v1', 'Deployment', 'deployments', true, true),
    r('coordination.k8s.io', 'v1', 'Lease', 'leases', true, false),
    r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, true),
    r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, false),
    r('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, false),
    r('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, false),
    r('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, false),
    r('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, false, false, ['create']),
    r('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false, false, false, ['create']),
    r('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, true),
    r(
      'admissionregistration.k8s.io',
      'v1',
      'ValidatingWebhookConfiguration',
      'validatingwebhookconfigurations',
      false,
      false,
    ),
  );
  return out;
}

export function groupVersion(res: ApiResource): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}
