// A GatewayClass CRD of our own whose controllerName carries a transition
// rule, as Gateway API's does (`self == oldSelf`, "Value is immutable").
import { crdOf } from './crds';

export const immutableClassCrd = crdOf('gateway.networking.k8s.io', 'GatewayClass', 'gatewayclasses', {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        controllerName: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }],
        },
        description: { type: 'string' },
      },
    },
  },
});

export const gatewayClass = (controllerName: string, description = 'd') => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'waypoints' },
  spec: { controllerName, description },
});
