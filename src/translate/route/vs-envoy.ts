import { pack, type TypeMap } from '../../envoy';
import type { FaultIR, FractionIR } from '../ir';
import { seconds } from '../common';
import * as names from '../names';

// Envoy pieces only a VirtualService route carries (route.go: TranslateFault,
// retry/retry.go: ConvertPolicy).

type Route = TypeMap['envoy.config.route.v3.Route'];
type RetryPolicy = NonNullable<NonNullable<Route['route']>['retry_policy']>;

export const fraction = (f: FractionIR) => ({ numerator: f.numerator, denominator: f.denominator });

/** route.go: TranslateFault, as the fault filter's per-route config. */
export function faultPerRoute(f: FaultIR) {
  return pack('envoy.extensions.filters.http.fault.v3.HTTPFault', {
    ...(f.delay
      ? { delay: { fixed_delay: seconds(f.delay.fixedDelayMs), percentage: fraction(f.delay.percentage) } }
      : {}),
    ...(f.abort
      ? {
          abort: {
            ...(f.abort.httpStatus !== undefined
              ? { http_status: f.abort.httpStatus }
              : { grpc_status: f.abort.grpcStatus ?? 0 }),
            ...(f.abort.percentage ? { percentage: fraction(f.abort.percentage) } : {}),
          },
        }
      : {}),
  });
}

let previousPriorities: RetryPolicy['retry_priority'] | undefined;

/** retry.go: cachedRetryRemoteLocalitiesPredicate — previous_priorities updated every 2 attempts. */
export function remoteLocalitiesPriority(): NonNullable<RetryPolicy['retry_priority']> {
  previousPriorities ??= {
    name: names.RETRY_PREVIOUS_PRIORITIES,
    typed_config: pack('envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', {
      update_frequency: 2,
    }),
  };
  return previousPriorities;
}
