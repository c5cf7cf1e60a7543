import { readNamespace, recorded, type DestinationRule, type TrafficPolicy, type World } from '../../model';
import { memoRead, Reads, type ReadValue } from '../reads';
import { sameInput } from '../same-input';
import { serviceHostname } from '../names';
import { hostRefs, ruleHostRef } from '../refs';

// Which DestinationRule a waypoint applies to a service, decided as istiod's
// push context and sidecar scope decide it. A waypoint's own namespace is its
// config namespace. Rules with a workloadSelector stay private to their
// namespace and apply only to outbound clusters of a proxy whose labels they
// select; a waypoint's VIP clusters are built inbound, where they never apply
// (sidecar.go: SidecarScope.DestinationRule).

/** One rule as a pool holds it: user-written or made from a Gateway API backend policy. */
export interface RuleInput {
  namespace: string;
  name: string;
  host: string;
  exportTo: readonly string[];
  trafficPolicy?: TrafficPolicy;
  subsets: readonly Subset[];
  /** Made from BackendTLSPolicy / XBackendTrafficPolicy (push_context.go: isBackendPolicyDestinationRule). */
  backend: boolean;
  /** workloadSelector.matchLabels, when the rule has a selector. */
  selector?: Readonly<Record<string, string>>;
  /** Sort key: creation time, then name, then namespace (sortConfigBySelectorAndCreationTime). */
  created: string;
}

export interface Subset {
  name: string;
  labels?: Readonly<Record<string, string>>;
  trafficPolicy?: TrafficPolicy;
}

/** Rules merged for one host (push_context.go: ConsolidatedDestRule). */
export interface MergedRule {
  host: string;
  exportTo: ReadonlySet<string>;
  /** The first rule merged: the one istiod names in the cluster's `istio.config` metadata. */
  namespace: string;
  name: string;
  backend: boolean;
  selector?: Readonly<Record<string, string>>;
  /** Every rule merged in, `namespace/name`, in merge order. */
  from: string[];
  trafficPolicy?: TrafficPolicy;
  subsets: Subset[];
}

type Pool = Map<string, MergedRule[]>;

interface NamespacePools {
  local: Pool;
  exported: Pool;
  rootLocal: Pool;
}

/** destination_rule.go: MergeTrafficPolicy with hasPortLevel false — set fields of `over` win. */
export function overlay(base: TrafficPolicy, over: TrafficPolicy): TrafficPolicy {
  const out: TrafficPolicy = { ...base };
  for (const k of [
    'connectionPool',
    'outlierDetection',
    'loadBalancer',
    'tls',
    'tunnel',
    'proxyProtocol',
    'retryBudget',
  ] as const) {
    if (over[k] !== undefined) (out as Record<string, unknown>)[k] = over[k];
  }
  return out;
}

/**
 * destination_rule.go: mergeBackendPolicyTrafficPolicy — the user's fields
 * win, the backend policy fills the rest; port settings merge per port.
 */
function mergeUnderUser(
  user: TrafficPolicy | undefined,
  backend: TrafficPolicy | undefined,
): TrafficPolicy | undefined {
  if (!user) return backend;
  if (!backend) return user;
  const { portLevelSettings: bp = [], ...b } = backend;
  const { portLevelSettings: up = [], ...u } = user;
  const merged = overlay(b, u);
  const ports = up.map((p) => {
    const other = bp.find((x) => x.port?.number === p.port?.number);
    return other ? { ...other, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } : p;
  });
  for (const p of bp) if (!up.some((x) => x.port?.number === p.port?.number)) ports.push(p);
  return ports.length > 0 ? { ...merged, portLevelSettings: ports } : merged;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const superset = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...b].every((x) => a.has(x));

function fresh(r: RuleInput, exportTo: ReadonlySet<string>): MergedRule {
  return {
    host: r.host,
    exportTo,
    namespace: r.namespace,
    name: r.name,
    backend: r.backend,
    ...(r.selector ? { selector: r.selector } : {}),
    from: [`${r.namespace}/${r.name}`],
    ...(r.trafficPolicy ? { trafficPolicy: r.trafficPolicy } : {}),
    subsets: [...r.subsets],
  };
}

/**
 * push_context.go: mergeDestinationRule, with ENABLE_ENHANCED_DESTINATIONRULE_MERGE
 * (on by default): a rule merges into an earlier one for the same host whose
 * exportTo it equals (or covers); subsets are appended by new name; the first
 * top-level traffic policy wins, except that a user rule's fields always beat
 * a backend policy's.
 */
function mergeInto(pool: Pool, r: RuleInput, exportTo: ReadonlySet<string>): void {
  const list = pool.get(r.host);
  if (!list) return void pool.set(r.host, [fresh(r, exportTo)]);
  let appendSeparately = true;
  for (let i = 0; i < list.length; i++) {
    const mdr = list[i] as MergedRule;
    if (sameSet(exportTo, mdr.exportTo)) appendSeparately = false;
    else if (mdr.exportTo.size > 0 && superset(exportTo, mdr.exportTo)) appendSeparately = true;
    else {
      appendSeparately = true;
      continue;
    }
    // Two selector rules merge only when their selectors are equal; a rule
    // with a selector and one without still merge (istiod does the same).
    if (mdr.selector && r.selector && !sameLabels(mdr.selector, r.selector)) {
      appendSeparately = true;
      continue;
    }
    if (!mdr.selector === !r.selector) appendSeparately = false;
    const names = new Set(mdr.subsets.map((s) => s.name));
    const subsets = [...mdr.subsets, ...r.subsets.filter((s) => !names.has(s.name))];
    let trafficPolicy = mdr.trafficPolicy;
    if (mdr.backend === r.backend) trafficPolicy ??= r.trafficPolicy;
    else if (r.backend) trafficPolicy = mergeUnderUser(mdr.trafficPolicy, r.trafficPolicy);
    else trafficPolicy = mergeUnderUser(r.trafficPolicy, mdr.trafficPolicy);
    const { trafficPolicy: _old, ...rest } = mdr;
    list[i] = {
      ...rest,
      from: [...mdr.from, `${r.namespace}/${r.name}`],
      subsets,
      ...(trafficPolicy ? { trafficPolicy } : {}),
    };
  }
  if (appendSeparately) list.push(fresh(r, exportTo));
}

/**
 * push_context.go: setDestinationRules, for one namespace's rules (sorted by
 * age). `defaultPrivate`: the mesh config's defaultDestinationRuleExportTo
 * holds `.`, so a rule without exportTo stays in its namespace
 * (push_context.go: initDefaultExportMaps; only `.` and `*` count there).
 */
function poolsOf(
  rules: readonly RuleInput[],
  namespace: string,
  rootNamespace: string,
  defaultPrivate: boolean,
): NamespacePools {
  const pools: NamespacePools = { local: new Map(), exported: new Map(), rootLocal: new Map() };
  // Selector rules first (push_context.go: sortConfigBySelectorAndCreationTime).
  const sorted = [...rules].sort(
    (a, b) => Number(!a.selector) - Number(!b.selector) || cmp(a.created, b.created) || cmp(a.name, b.name),
  );
  for (const r of sorted) {
    // A selector rule is never exported (push_context.go: setDestinationRules).
    const exportTo = new Set(r.selector ? ['.'] : r.exportTo);
    if (exportTo.size === 0 || exportTo.has('*') || exportTo.has('.') || exportTo.has(namespace))
      mergeInto(pools.local, r, exportTo);
    const privateOnly =
      (exportTo.size === 0 && defaultPrivate) ||
      (exportTo.size === 1 && (exportTo.has('.') || exportTo.has(namespace)));
    if (!privateOnly) mergeInto(pools.exported, r, exportTo);
    else if (namespace === rootNamespace) mergeInto(pools.rootLocal, r, exportTo);
  }
  return pools;
}

// poolsOf's last result for a list of user rules (by identity: userRules
// keeps one list per World list of a namespace's rules), per namespace and
// root namespace and mesh default exportTo, with the backend rules it merged
// (compared by value).
const POOLS = new WeakMap<
  readonly RuleInput[],
  Map<string, { backend: readonly RuleInput[]; pools: NamespacePools }>
>();

/**
 * poolsOf over `user` then `backend`, kept from the last translation while
 * both are unchanged: the pools are rebuilt from a namespace's every rule,
 * and an edit elsewhere must not rebuild them.
 */
function keptPoolsOf(
  user: readonly RuleInput[],
  backend: readonly RuleInput[],
  namespace: string,
  rootNamespace: string,
  defaultPrivate: boolean,
): NamespacePools {
  let byNs = POOLS.get(user);
  if (!byNs) POOLS.set(user, (byNs = new Map()));
  const key = `${namespace}\u0000${rootNamespace}\u0000${defaultPrivate}`;
  const last = byNs.get(key);
  if (last && sameInput(last.backend, backend)) return last.pools;
  const pools = poolsOf([...user, ...backend], namespace, rootNamespace, defaultPrivate);
  byNs.set(key, { backend, pools });
  return pools;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** labels.Instance.SubsetOf: every label of the selector is on the proxy. */
const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The proxy an outbound lookup is for; its labels are asked for only when a
 * selector rule is in play. Inbound lookups pass none.
 */
export interface OutboundProxy {
  labels: () => Readonly<Record<string, string>>;
}

/** A rule's host as istiod reads it (model/config.go: ResolveShortnameToFQDN). */
export function ruleHost(host: string, namespace: string, domain: string): string {
  if (host === '*' || host.includes('.') || host.includes(':')) return host;
  return serviceHostname(host, namespace, domain);
}

/** host.Name.MoreSpecific: an exact name beats a wildcard; of two wildcards the longer wins. */
function mostSpecific(pool: Pool, hostname: string): MergedRule[] | undefined {
  const exact = pool.get(hostname);
  if (exact) return exact;
  let best: string | undefined;
  for (const h of pool.keys()) {
    if (!h.startsWith('*')) continue;
    if (!hostname.endsWith(h.slice(1))) continue;
    if (best === undefined || h.length > best.length) best = h;
  }
  return best === undefined ? undefined : pool.get(best);
}

const visibleTo = (r: MergedRule, ns: string) => r.exportTo.size === 0 || r.exportTo.has('*') || r.exportTo.has(ns);

/**
 * The rules of a waypoint's config namespace, of a service's and of the root
 * namespace, built once per translation. `rulesIn` supplies a namespace's
 * rules (user-written and from backend policies) and records what it read
 * into `reads`; each later use of the namespace's pools replays that
 * (memoRead), so every served service that looks a rule up records what the
 * rules came from. With `domain`, `rulesIn` leaves the DestinationRules
 * themselves unrecorded and each lookup records the forms of its host a
 * rule of each namespace it consults could be written with (refs.ts:
 * hostRefs), so a rule's edit reaches the lookups of the host it names.
 */
export class DestinationRuleIndex {
  private readonly pools = new Map<string, ReadValue<NamespacePools>>();

  constructor(
    private readonly rulesIn: (namespace: string) => readonly RuleInput[],
    private readonly rootNamespace: string,
    private readonly reads: Reads = new Reads(),
    private readonly domain?: string,
    private readonly defaultPrivate = false,
    /** The rules made from backend policies, apart: `rulesIn`'s list keeps its identity while unchanged. */
    private readonly backendRulesIn: (namespace: string) => readonly RuleInput[] = () => [],
  ) {}

  /** The keys of one host's lookup in one namespace, built once (a service's ports look it up again). */
  private readonly hostReads = new Map<string, ReadValue<undefined>>();

  private poolsFor(ns: string, hostname: string): NamespacePools {
    const domain = this.domain;
    if (domain !== undefined)
      memoRead(this.hostReads, `${ns}/${hostname}`, this.reads, () => {
        for (const ref of hostRefs(hostname, ns, domain)) this.reads.referencing('DestinationRule', ns, ref);
        // mostSpecific falls back to wildcard hosts, which all share one reference.
        this.reads.referencing('DestinationRule', ns, ruleHostRef('*'));
        return undefined;
      });
    return memoRead(this.pools, ns, this.reads, () =>
      keptPoolsOf(this.rulesIn(ns), this.backendRulesIn(ns), ns, this.rootNamespace, this.defaultPrivate),
    );
  }

  /**
   * push_context.go: destinationRule — the proxy's namespace (its private and
   * public rules; the root namespace's private ones when the proxy lives
   * there), then the service's namespace, then the root namespace, each by the
   * most specific host, the latter two only with rules exported to the proxy.
   * sidecar.go: SidecarScope.DestinationRule then takes, for an outbound
   * cluster, the first rule of the proxy's namespace whose selector the
   * proxy's labels satisfy, else the last rule without a selector.
   */
  lookup(
    proxyNamespace: string,
    hostname: string,
    serviceNamespace: string,
    outbound?: OutboundProxy,
  ): MergedRule | undefined {
    const root = this.rootNamespace;
    const first =
      proxyNamespace !== root
        ? mostSpecific(this.poolsFor(proxyNamespace, hostname).local, hostname)
        : mostSpecific(this.poolsFor(root, hostname).rootLocal, hostname);
    const found =
      first ??
      this.exported(serviceNamespace, hostname, proxyNamespace) ??
      this.exported(root, hostname, proxyNamespace);
    let catchAll: MergedRule | undefined;
    for (const r of found ?? []) {
      if (!r.selector) catchAll = r;
      else if (outbound && r.namespace === proxyNamespace && selects(r.selector, outbound.labels())) return r;
    }
    return catchAll;
  }

  private exported(owner: string, hostname: string, client: string): MergedRule[] | undefined {
    const list = mostSpecific(this.poolsFor(owner, hostname).exported, hostname)?.filter((r) => visibleTo(r, client));
    return list && list.length > 0 ? list : undefined;
  }
}

// userRules' list for a World list of a namespace's rules (kept by the
// World while no rule of the namespace changes), by domain.
const USER_RULES = new WeakMap<readonly DestinationRule[], { domain: string; rules: readonly RuleInput[] }>();

/**
 * A namespace's DestinationRules, as pool input; the read is recorded when
 * `reads` is given. The same list while the namespace's rules are.
 */
export function userRules(world: World, namespace: string, domain: string, reads?: Reads): readonly RuleInput[] {
  const list = readNamespace(recorded(world, reads), 'DestinationRule', namespace);
  const last = USER_RULES.get(list);
  if (last?.domain === domain) return last.rules;
  const rules = list.map((r) => userRule(r, domain));
  USER_RULES.set(list, { domain, rules });
  return rules;
}

function userRule(r: DestinationRule, domain: string): RuleInput {
  const ns = r.metadata.namespace;
  return {
    namespace: ns,
    name: r.metadata.name,
    host: ruleHost(r.spec?.host ?? '', ns, domain),
    exportTo: r.spec?.exportTo ?? [],
    ...(r.spec?.trafficPolicy ? { trafficPolicy: r.spec.trafficPolicy } : {}),
    subsets: r.spec?.subsets ?? [],
    backend: false,
    ...(r.spec?.workloadSelector ? { selector: r.spec.workloadSelector.matchLabels ?? {} } : {}),
    created: r.metadata.creationTimestamp ?? '',
  };
}

/**
 * util.go: GetPortLevelTrafficPolicy — a port's own settings replace the
 * rule's whole policy (only load balancer, connection pool, outlier
 * detection and TLS carry over from it; PROXY protocol and the retry budget
 * do not).
 */
export function portPolicy(
  tp: TrafficPolicy | undefined,
  port: number,
): { policy?: TrafficPolicy; portLevel: boolean } {
  if (!tp) return { portLevel: false };
  const p = tp.portLevelSettings?.find((x) => x.port !== undefined && x.port.number === port);
  if (!p) return { policy: tp, portLevel: false };
  const { port: _port, ...rest } = p;
  return { policy: rest, portLevel: true };
}

/** util.go: MergeSubsetTrafficPolicy — the subset's (port) settings over the rule's (port) settings. */
export function subsetPolicy(
  rule: TrafficPolicy | undefined,
  subset: TrafficPolicy | undefined,
  port: number,
): TrafficPolicy | undefined {
  const base = portPolicy(rule, port).policy;
  if (!subset) return base;
  const { policy: sp, portLevel } = portPolicy(subset, port);
  if (!base) return sp;
  const { portLevelSettings: _p, ...copy } = base;
  if (!sp) return copy;
  if (!portLevel) return overlay(copy, sp);
  // Port-level subset settings replace these four wholesale, unset ones included.
  const { connectionPool: _c, outlierDetection: _o, loadBalancer: _l, tls: _t, ...kept } = copy;
  return { ...kept, ...sp };
}
