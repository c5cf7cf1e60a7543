import type * as k8s from '@kubernetes/client-node';
import { LABEL, WAYPOINT_CLASS, WAYPOINT_LISTENER, type Gateway, type ObjectMeta } from '../model';
import { call } from './kube-client';

/** A Gateway as written to the API server: without a namespace it goes to the client's current one. */
export type GatewayManifest = Omit<Gateway, 'metadata'> & { metadata: ObjectMeta };

/** The waypoint Gateway istioctl builds (istioctl/pkg/waypoint/waypoint.go: makeGateway). */
export function waypointGateway(
  name: string,
  namespace: string | undefined,
  trafficType: string,
  revision?: string,
): GatewayManifest {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      labels: { [LABEL.waypointFor]: trafficType, ...(revision ? { [LABEL.rev]: revision } : {}) },
      name,
      ...(namespace !== undefined ? { namespace } : {}),
    },
    spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ ...WAYPOINT_LISTENER }] },
  };
}

export function programmed(gw: Gateway): string {
  return gw.status?.conditions?.find((c) => c.type === 'Programmed')?.status ?? 'False';
}

export async function listWaypoints(objects: k8s.KubernetesObjectApi, server: string, ns?: string): Promise<Gateway[]> {
  const res = await call('listing Gateways', server, () => objects.list('gateway.networking.k8s.io/v1', 'Gateway', ns));
  return (res.items as unknown as Gateway[])
    .filter((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS)
    .sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    );
}
