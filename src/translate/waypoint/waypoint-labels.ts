import { LABEL, readSelected } from '../../model';
import type { WaypointContext } from '../context';

/**
 * The labels of a waypoint's proxy, as a workloadSelector sees them
 * (model.Proxy.Labels): those every running pod of the waypoint shares, or,
 * with no pod in sight, the labels the controller gives the Deployment's pods
 * that a selector would look for (waypoint-objects.ts: waypointObjects).
 */
export function waypointProxyLabels(ctx: WaypointContext): Record<string, string> {
  const { namespace, name } = ctx.waypoint;
  const pods = readSelected(
    ctx,
    'Pod',
    namespace,
    (p) =>
      p.metadata.labels?.[LABEL.gatewayName] === name &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
  let shared: Record<string, string> | undefined;
  for (const p of pods) {
    const mine = p.metadata.labels ?? {};
    shared = shared ? Object.fromEntries(Object.entries(shared).filter(([k, v]) => mine[k] === v)) : { ...mine };
  }
  if (shared) return shared;
  const className = ctx.waypoint.gateway.spec?.gatewayClassName;
  return { [LABEL.gatewayName]: name, ...(className ? { [LABEL.gatewayClassName]: className } : {}) };
}
