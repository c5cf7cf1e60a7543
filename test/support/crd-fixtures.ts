// A small HTTPRoute CRD of our own (a maxItems schema rule and a CEL rule) and
// routes to check against it, for the tests of CRD-driven validation.
import { dump } from 'js-yaml';

export const crd = (maxRules: number) =>
  dump({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'httproutes.gateway.networking.k8s.io' },
    spec: {
      group: 'gateway.networking.k8s.io',
      names: { kind: 'HTTPRoute', plural: 'httproutes' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    rules: {
                      type: 'array',
                      maxItems: maxRules,
                      items: {
                        type: 'object',
                        'x-kubernetes-validations': [
                          {
                            rule: "!has(self.name) || self.name != 'forbidden'",
                            message: 'the name forbidden is reserved',
                          },
                        ],
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  });

export const route = (name: string, ruleName: string) =>
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: app
spec:
  parentRefs:
  - {group: '', kind: Service, name: reviews}
  rules:
  - name: ${ruleName}
    backendRefs:
    - {name: reviews, port: 9080}
`;
