import type { WaypointContext } from '../context';
import { entriesDeclaring } from '../service-entry-hosts';

/**
 * The namespace of the service a route backend's host names, for a
 * DestinationRule lookup (push_context.go: destinationRule takes the
 * service's namespace): `<name>.<ns>.svc.<domain>` gives its namespace;
 * another host is a ServiceEntry's, the first entry naming it (in World
 * order); else none.
 */
export function hostnameServiceNamespace(ctx: WaypointContext, host: string): string {
  const suffix = `.svc.${ctx.opts.domain}`;
  if (host.endsWith(suffix)) {
    const parts = host.slice(0, -suffix.length).split('.');
    if (parts.length === 2) return parts[1] ?? '';
  }
  return entriesDeclaring(ctx.world, host, ctx.reads)[0]?.metadata.namespace ?? '';
}
