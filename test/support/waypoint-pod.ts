import type { KubeObject } from '../../src/model';

// The pod of waypoint `egress/waypoint` on a node in region r1, zone z1: the
// locality (and, with `labels`, the label values) a translation of that
// waypoint ranks endpoints from.

/** The waypoint's pod on a node in r1/z1: the locality its endpoints are ranked from. */
export function waypointInZone(labels: Record<string, string> = {}): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'node-a',
        labels: { 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'waypoint-0',
        namespace: 'egress',
        labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', ...labels },
      },
      spec: { nodeName: 'node-a' },
      status: { phase: 'Running', podIP: '10.244.0.9' },
    } as KubeObject,
  ];
}
