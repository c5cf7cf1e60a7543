// Small CustomResourceDefinitions of our own, carrying a schema and CEL rules, for tests.

/** A CustomResourceDefinition serving `kind` at v1 with this schema. */
export function crdOf(group: string, kind: string, plural: string, schema: unknown) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
}

export const routeSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        hostnames: {
          type: 'array',
          maxItems: 2,
          items: {
            type: 'string',
            maxLength: 20,
            pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
          },
        },
        rules: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              weight: { type: 'integer', minimum: 0, maximum: 1000000 },
              kind: { type: 'string', default: 'Service' },
              timeout: { type: 'string' },
              filters: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['type'],
                  properties: { type: { type: 'string', enum: ['RequestRedirect', 'URLRewrite'] } },
                },
              },
              backendRefs: { type: 'array', items: { type: 'object' } },
            },
            'x-kubernetes-validations': [
              {
                message: 'a redirect and backends exclude each other',
                rule: "!(has(self.filters) && self.filters.exists(f, f.type == 'RequestRedirect') && has(self.backendRefs) && size(self.backendRefs) > 0)",
              },
              // Relies on the default the API server fills in.
              { rule: "self.kind == 'Service'", fieldPath: '.kind' },
              { rule: "!has(self.timeout) || duration(self.timeout) <= duration('1h')", message: 'timeout at most 1h' },
              { rule: 'self.weight == oldSelf.weight' },
            ],
          },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
        port: { 'x-kubernetes-int-or-string': true },
        labels: {
          type: 'object',
          additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() <= 5' }] },
        },
      },
    },
  },
};
