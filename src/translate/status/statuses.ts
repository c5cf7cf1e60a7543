import { isCoreServiceRef } from '../../model/refs';
import { boundCondition, waypointKey, type AmbientIndex } from '../../ambient';
import { extrasMessage, waypointExtras } from '../../ambient/canary';
import {
  CONDITION,
  LABEL,
  get,
  list,
  MESH_CONTROLLER,
  type KubeObject,
  type NamespacedObject,
  type AuthorizationPolicy,
  type BackendTLSPolicy,
  type XBackendTrafficPolicy,
  type RequestAuthentication,
  type KindName,
  type ParentReference,
  type Service,
  type ServiceEntry,
  type PolicyTargetReference,
  type Targeting,
  readObject,
  recorded,
} from '../../model';
import { backendPolicyStatus } from '../policy/backend-policies';
import { routeBackends } from '../route/route-decision';
import type { StatusContext } from '../context';
import type { AnyRoute } from '../route/route-attach';
import { condition, StatusSink, type ObjectStatus } from './status';
import { targetDecision, targetRefsOf } from '../policy/targeting';
import { extAuthzProviders } from '../mesh-config';
import { jwksFor, resolvedJwks } from '../policy/authn';
import { ruleUsesL7 } from '../workload-api/ztunnel-authz';
import { authzPolicyIR } from '../policy/authz';
import { ruleProblem } from '../policy/rbac';
import { authorizationAction, parentRefGroup } from '../../model/defaults';

/** conditions.go: WaypointErrorMsgMissingLabel — the ResolvedWaypoints message for a parent no waypoint is configured for. */
export const MISSING_USE_WAYPOINT_LABEL =
  'istio.io/use-waypoint label missing from parent and parent namespace; in ambient mode, route will not be respected';

/** conversion.go: waypointConfigured — a use-waypoint label naming a waypoint (not empty, not `none`). */
function waypointConfigured(labels: Record<string, string> | undefined): boolean {
  const v = labels?.[LABEL.useWaypoint];
  return !!v && v.toLowerCase() !== 'none';
}

/**
 * conditions.go: createRouteStatus with conversion.go: referenceAllowed for a
 * Service or ServiceEntry parent. Accepted says only whether the parent
 * exists; whether a waypoint is configured for it (the use-waypoint label on
 * the parent or its namespace) goes into ResolvedWaypoints, which istiod
 * reports True with the problem as its message.
 */
function routeParentConditions(ctx: StatusContext, route: AnyRoute, ref: ParentReference) {
  const routeNs = route.metadata.namespace;
  const ns = ref.namespace ?? routeNs;
  const gen = route.metadata.generation;
  const entry = isServiceEntryParent(ref);
  // The parent's existence and labels, and its namespace's labels: the status
  // tracker expands a Namespace change to the Service keys in it.
  const from = recorded(ctx.world, ctx.reads);
  const parent = entry ? readObject(from, 'ServiceEntry', ns, ref.name) : readObject(from, 'Service', ns, ref.name);
  const entryNamespace = entry ? readObject(from, 'Namespace', undefined, ns) : undefined;
  const conds = [];
  let waypoints = 'All waypoints resolved';
  if (!parent) {
    const what = entry ? 'parent service entry' : 'parent service';
    conds.push(condition('Accepted', false, 'NoMatchingParent', `${what}: "${ref.name}" not found`, gen));
    waypoints = 'parent not found';
  } else {
    // A consumer route (from a namespace that is neither the parent's nor
    // its waypoint's) is Accepted too: the waypoint does not apply it
    // (route-attach.ts), but istiod reports it valid (referenceAllowed).
    conds.push(condition('Accepted', true, 'Accepted', 'Route was valid', gen));
    // A Service parent's Namespace is not recorded (see above).
    const namespace = entry ? entryNamespace : get(ctx.world, 'Namespace', undefined, ns);
    if (!waypointConfigured(parent.metadata.labels) && namespace && !waypointConfigured(namespace.metadata.labels))
      waypoints = MISSING_USE_WAYPOINT_LABEL;
  }
  // The decision the waypoints build their clusters from (route-decision.ts).
  const { problems } = routeBackends(ctx, route);
  conds.push(
    problems.length === 0
      ? condition('ResolvedRefs', true, 'ResolvedRefs', 'All references resolved', gen)
      : condition(
          'ResolvedRefs',
          false,
          problems[0]?.reason ?? 'BackendNotFound',
          problems.map((p) => p.message).join('; '),
          gen,
        ),
  );
  conds.push(condition('ResolvedWaypoints', true, 'ResolvedWaypoints', waypoints, gen));
  return conds;
}

function isServiceParent(ref: ParentReference): boolean {
  return isCoreServiceRef(parentRefGroup(ref), ref.kind);
}

function isServiceEntryParent(ref: ParentReference): boolean {
  return ref.group === 'networking.istio.io' && ref.kind === 'ServiceEntry';
}

function routeStatus(ctx: StatusContext, route: AnyRoute): ObjectStatus | undefined {
  const parents = (route.spec?.parentRefs ?? []).filter((p) => isServiceParent(p) || isServiceEntryParent(p));
  if (parents.length === 0) return undefined;
  return {
    kind: route.kind,
    namespace: route.metadata.namespace,
    name: route.metadata.name,
    parents: parents.map((p) => ({
      parentRef: p,
      controllerName: MESH_CONTROLLER,
      conditions: routeParentConditions(ctx, route, p),
    })),
  };
}

/** A target's WaypointAccepted: the decision the waypoint attaches the policy by (targetDecision), and whether it holds. */
function targetCondition(ctx: StatusContext, policy: NamespacedObject, t: PolicyTargetReference) {
  const ns = policy.metadata.namespace;
  const gen = policy.metadata.generation;
  const ok = (msg: string) => condition(CONDITION.waypointAccepted, true, 'Accepted', msg, gen);
  const bad = (reason: string, msg: string) => condition(CONDITION.waypointAccepted, false, reason, msg, gen);
  const from = recorded(ctx.world, ctx.reads);
  const d = targetDecision(ctx.opts, ns, t);
  switch (d.kind) {
    case 'refused':
      return bad(d.reason, d.message);
    case 'GatewayClass':
      return ok(`bound to every waypoint`);
    case 'Gateway': {
      const gw = readObject(from, 'Gateway', ns, t.name);
      if (!gw) return bad('TargetNotFound', `Gateway ${ns}/${t.name} not found`);
      if (gw.spec?.gatewayClassName !== ctx.opts.gatewayClass)
        return bad('TargetNotFound', `Gateway ${ns}/${t.name} is not a waypoint (class ${gw.spec?.gatewayClassName})`);
      return ok(`bound to ${ns}/${t.name}`);
    }
    case 'Service': {
      if (!readObject(from, 'Service', ns, t.name)) return bad('TargetNotFound', `Service ${ns}/${t.name} not found`);
      const wp = ctx.index.waypointFor(`Service/${ns}/${t.name}`);
      return wp
        ? ok(`bound to ${waypointKey(wp)}`)
        : bad('AncestorNotBound', `Service ${ns}/${t.name} is not bound to a waypoint`);
    }
    case 'ServiceEntry': {
      if (!readObject(from, 'ServiceEntry', ns, t.name))
        return bad('TargetNotFound', `ServiceEntry ${ns}/${t.name} was not found`);
      const wp = ctx.index.waypointFor(`ServiceEntry/${ns}/${t.name}`);
      return wp
        ? ok(`bound to ${waypointKey(wp)}`)
        : bad('AncestorNotBound', `ServiceEntry ${ns}/${t.name} is not bound to a waypoint`);
    }
  }
}

function policyProblems(
  ctx: StatusContext,
  policy: NamespacedObject & { spec?: Targeting & { action?: string; provider?: { name: string } } },
): string[] {
  // Problems found at load: the policy is served in its fail-closed form (model/fail-closed.ts).
  const out: string[] = [...(policy.invalid ?? [])];
  if (policy.spec?.selector && targetRefsOf(policy.spec).length > 0)
    out.push('selector and targetRefs are mutually exclusive');
  if (policy.kind === 'RequestAuthentication') {
    // The keys istiod would inline: a rule whose JWKS could not be fetched rejects every token.
    const keys = resolvedJwks(ctx.world, ctx.opts.rootNamespace, ctx.reads);
    ((policy as RequestAuthentication).spec?.jwtRules ?? []).forEach((r, i) => {
      const { error } = jwksFor(r, keys);
      if (error) out.push(`jwtRules[${i}]: JWKS unavailable (${error}); tokens from ${r.issuer} are rejected`);
    });
  }
  if (policy.kind === 'AuthorizationPolicy') {
    // istiod's webhook refuses these; its builder drops the rule from an ALLOW.
    const ir = authzPolicyIR(policy as AuthorizationPolicy);
    const deny = ir.action !== 'ALLOW';
    ir.rules.forEach((rule, i) => {
      const why = ruleProblem(rule, ir.namespace);
      if (why)
        out.push(
          `rules[${ir.ruleIndexes?.[i] ?? i}]: ${why}; ${deny ? 'that part is ignored, so the rule denies more' : 'the rule allows nothing'}`,
        );
    });
  }
  if (policy.kind === 'AuthorizationPolicy' && policy.spec?.action === 'CUSTOM') {
    const name = policy.spec.provider?.name;
    if (!name || !extAuthzProviders(ctx.world, ctx.opts.rootNamespace, ctx.reads).has(name)) {
      out.push(
        `CUSTOM provider ${name ?? '(none)'} is not in the mesh config's extensionProviders; matching requests are denied`,
      );
    }
  }
  return out;
}

const UNSUPPORTED_ON_WAYPOINTS = new Set(['WasmPlugin', 'EnvoyFilter']);

/** A targetRefs policy: one WaypointAccepted condition per target. */
function policyStatus(ctx: StatusContext, p: NamespacedObject & { spec?: Targeting }): ObjectStatus | undefined {
  const targets = targetRefsOf(p.spec);
  if (targets.length === 0) return undefined;
  const kind = p.kind;
  const unsupported = UNSUPPORTED_ON_WAYPOINTS.has(kind);
  const problems = policyProblems(ctx, p);
  return {
    kind,
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    parents: targets.map((t) => {
      let c = targetCondition(ctx, p, t);
      if (unsupported)
        c = condition(
          CONDITION.waypointAccepted,
          false,
          'Invalid',
          `${kind} is not supported on waypoints by istiod-lite; it is not applied`,
          p.metadata.generation,
        );
      else if (problems.length > 0 && c.status === 'True')
        c = condition(CONDITION.waypointAccepted, false, 'Invalid', problems.join('; '), p.metadata.generation);
      return {
        parentRef: { group: t.group, kind: t.kind, name: t.name, namespace: p.metadata.namespace },
        controllerName: MESH_CONTROLLER,
        conditions: [c],
      };
    }),
  };
}

/** Policies ztunnel enforces (no targetRefs): say when it cannot honour HTTP parts of them. */
function ztunnelStatus(p: AuthorizationPolicy): ObjectStatus | undefined {
  const action = authorizationAction(p.spec);
  if (action !== 'ALLOW' && action !== 'DENY') return undefined;
  const l7 = (p.spec?.rules ?? []).some(ruleUsesL7);
  const gen = p.metadata.generation;
  return {
    kind: 'AuthorizationPolicy',
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    conditions: [
      p.invalid
        ? condition('ZtunnelAccepted', false, 'Invalid', p.invalid.join('; '), gen)
        : l7
          ? condition(
              'ZtunnelAccepted',
              true,
              'UnsupportedValue',
              action === 'ALLOW'
                ? 'ztunnel does not see HTTP: rules using HTTP fields are dropped, so they allow nothing; attach the policy to a waypoint with targetRefs'
                : 'ztunnel does not see HTTP: HTTP fields are ignored, so the rules deny more; attach the policy to a waypoint with targetRefs',
              gen,
            )
          : condition('ZtunnelAccepted', true, 'Accepted', 'Resource accepted', gen),
    ],
  };
}

/** A Service's or ServiceEntry's WaypointBound condition (ambient status.go: the same for both sources). */
function serviceStatus(ctx: StatusContext, svc: Service | ServiceEntry): ObjectStatus | undefined {
  const b = ctx.index.bindings.get(`${svc.kind}/${svc.metadata.namespace}/${svc.metadata.name}`);
  const c = b && boundCondition(b);
  if (!c) return undefined;
  return {
    kind: svc.kind,
    namespace: svc.metadata.namespace,
    name: svc.metadata.name,
    conditions: [
      {
        type: CONDITION.waypointBound,
        ...c,
        message: c.message + extrasMessage(waypointExtras(svc, b, ctx.world, ctx.index.waypoints)),
      },
    ],
  };
}

/** Gateway statuses: one per waypoint, from the index alone. */
export function gatewayStatuses(index: AmbientIndex): ObjectStatus[] {
  return [...index.waypoints.values()].map((wp) => {
    const gen = wp.gateway.metadata.generation;
    return {
      kind: 'Gateway',
      namespace: wp.namespace,
      name: wp.name,
      conditions: [condition('Accepted', true, 'Accepted', 'Resource accepted', gen)],
      parents: (wp.gateway.spec?.listeners ?? []).map((l) => {
        const p = wp.listenerProblems.find((x) => x.listener === l.name);
        return {
          parentRef: { name: l.name, port: l.port },
          controllerName: MESH_CONTROLLER,
          conditions: [
            p
              ? condition('Accepted', false, p.reason, p.message, gen)
              : condition('Accepted', true, 'Accepted', 'No errors found', gen),
          ],
        };
      }),
    };
  });
}

/** Kinds that get a status of their own (besides the waypoint Gateways), each from one object. */
export const STATUS_KINDS = [
  'Service',
  'HTTPRoute',
  'GRPCRoute',
  'TCPRoute',
  'TLSRoute',
  'AuthorizationPolicy',
  'RequestAuthentication',
  'Telemetry',
  'WasmPlugin',
  'EnvoyFilter',
  'BackendTLSPolicy',
  'XBackendTrafficPolicy',
  'ServiceEntry',
] as const satisfies readonly KindName[];

const STATUS_KIND_SET: ReadonlySet<string> = new Set(STATUS_KINDS);
export const hasOwnStatus = (kind: string): boolean => STATUS_KIND_SET.has(kind);

/**
 * The status of one object, or none. It depends on the object and on what
 * `ctx.reads` records (bindings are recorded as their Service's key), which
 * is what lets the status tracker recompute only the statuses a change reaches.
 */
export function objectStatus(ctx: StatusContext, o: KubeObject): ObjectStatus | undefined {
  switch (o.kind) {
    case 'Service':
    case 'ServiceEntry':
      return serviceStatus(ctx, o as Service);
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TCPRoute':
    case 'TLSRoute':
      return routeStatus(ctx, o as AnyRoute);
    case 'AuthorizationPolicy':
      return targetRefsOf((o as AuthorizationPolicy).spec).length > 0
        ? policyStatus(ctx, o as AuthorizationPolicy)
        : ztunnelStatus(o as AuthorizationPolicy);
    case 'RequestAuthentication':
    case 'Telemetry':
    case 'WasmPlugin':
    case 'EnvoyFilter':
      return policyStatus(ctx, o as NamespacedObject & { spec?: Targeting });
    case 'BackendTLSPolicy':
    case 'XBackendTrafficPolicy':
      return backendPolicyStatus(ctx, o as BackendTLSPolicy | XBackendTrafficPolicy);
    default:
      return undefined;
  }
}

/** Every status the control plane reports, computed from the World alone, in key order. */
export function computeStatuses(ctx: StatusContext): ObjectStatus[] {
  const sink = new StatusSink();
  for (const s of gatewayStatuses(ctx.index)) sink.add(s);
  for (const kind of STATUS_KINDS)
    for (const o of list(ctx.world, kind)) {
      const s = objectStatus(ctx, o);
      if (s) sink.add(s);
    }
  return sink.all();
}
