import { list } from '../../model';
import type { WaypointContext } from '../context';

/**
 * The namespace of the service a route backend's host names, for a
 * DestinationRule lookup (push_context.go: destinationRule takes the
 * service's namespace): `<name>.<ns>.svc.<domain>` gives its namespace;
 * another host is a ServiceEntry's, the first entry naming it; else none.
 */
export function hostnameServiceNamespace(ctx: WaypointContext, host: string): string {
  const suffix = `.svc.${ctx.opts.domain}`;
  if (host.endsWith(suffix)) {
    const parts = host.slice(0, -suffix.length).split('.');
    if (parts.length === 2) return parts[1] ?? '';
  }
  ctx.reads.all('ServiceEntry');
  const se = list(ctx.world, 'ServiceEntry').find((e) => (e.spec?.hosts ?? []).includes(host));
  return se?.metadata.namespace ?? '';
}
