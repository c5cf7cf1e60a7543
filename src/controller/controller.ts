import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  DEFAULT_SCOPE,
  fieldManagerOf,
  get,
  list,
  ownedByRevision,
  type ControlPlaneScope,
  type Gateway,
  type KubeObject,
  type World,
} from '../model';
import { applyOverlays, DEFAULTS_FOR_CLASS, OverlayError, parametersRefOf, type OverlaySource } from './overlay';
import type { ObjectStatus } from '../translate';
import { ENVOY_ACCEPTED } from '../translate/status/status-rejections';
import { waypointGatewayStatus } from './gateway-status';
import { LeaderElector } from './leader';
import { waypointObjects, DEFAULT_DEPLOY, type WaypointDeployOptions } from './waypoint-objects';
import { ClusterWriter } from './writer';
import { ServiceEntryAddressWriter } from './address-writer';

export interface ControllerOptions {
  identity: string;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewEveryMs: number;
  deploy: WaypointDeployOptions;
  domain: string;
  /** The waypoint class, controller name and revision this control plane answers for. */
  scope: ControlPlaneScope;
}

export const DEFAULT_CONTROLLER: Omit<ControllerOptions, 'identity'> = {
  leaseNamespace: 'istio-system',
  leaseName: 'istiod-lite-leader',
  leaseDurationMs: 15_000,
  renewEveryMs: 5_000,
  deploy: DEFAULT_DEPLOY,
  domain: 'cluster.local',
  scope: DEFAULT_SCOPE,
};

/**
 * Everything that writes to the cluster: the istio-waypoint GatewayClass,
 * each waypoint's ServiceAccount/Deployment/Service, and the statuses the
 * translator computed. Only the elected leader writes.
 */
export class WaypointController {
  readonly writer: ClusterWriter;
  /** ServiceEntry `status.addresses`, as istiod's IP allocator writes them. */
  readonly addresses: ServiceEntryAddressWriter;
  private readonly api: k8s.KubernetesObjectApi;
  private readonly elector: LeaderElector;
  private latest?: { world: World; statuses: readonly ObjectStatus[] };
  private running = false;
  private again = false;
  private readonly applied = new Map<string, string>();

  constructor(
    kc: k8s.KubeConfig,
    private readonly log: Logger,
    private readonly opts: ControllerOptions,
  ) {
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.api = api;
    this.writer = new ClusterWriter(api, kc, log, opts.scope.controllerName);
    this.addresses = new ServiceEntryAddressWriter(kc, log, fieldManagerOf(opts.scope.controllerName));
    this.elector = new LeaderElector(
      api,
      {
        namespace: opts.leaseNamespace,
        name: opts.leaseName,
        identity: opts.identity,
        leaseDurationMs: opts.leaseDurationMs,
        renewEveryMs: opts.renewEveryMs,
      },
      log,
      (leading) => {
        if (leading) {
          this.applied.clear();
          void this.reconcile();
        }
      },
    );
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  start(): void {
    this.elector.start();
  }

  stop(): void {
    this.elector.stop();
  }

  /** New inputs: reconcile now if leading (runs are serialized and coalesced). */
  update(world: World, statuses: readonly ObjectStatus[]): void {
    this.latest = { world, statuses };
    void this.reconcile();
  }

  private async reconcile(): Promise<void> {
    if (!this.elector.isLeader || !this.latest) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.once(this.latest.world, this.latest.statuses);
      } while (this.again && this.elector.isLeader);
    } catch (e) {
      this.log.warn(
        { error: e instanceof Error ? e.message : String(e) },
        'reconcile failed; will retry on the next change',
      );
    } finally {
      this.running = false;
    }
  }

  /**
   * The class-wide overlay: the oldest ConfigMap in the system namespace
   * labelled as the defaults of our GatewayClass (istiod's choice among several).
   */
  private async classDefaults(): Promise<OverlaySource[]> {
    const list = await this.api.list<k8s.V1ConfigMap>(
      'v1',
      'ConfigMap',
      this.opts.leaseNamespace,
      undefined,
      undefined,
      undefined,
      undefined,
      `${DEFAULTS_FOR_CLASS}=${this.opts.scope.gatewayClass}`,
    );
    const oldest = [...list.items].sort(
      (a, b) =>
        String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')) ||
        String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    )[0];
    return oldest ? [{ ref: `${oldest.metadata?.namespace}/${oldest.metadata?.name}`, data: oldest.data ?? {} }] : [];
  }

  /** The Gateway's own overlay, from the ConfigMap its parametersRef names. */
  private async parameters(gw: Gateway): Promise<OverlaySource[]> {
    const ref = parametersRefOf(gw);
    if (!ref) return [];
    try {
      const cm = await this.api.read<k8s.V1ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ref.name, namespace: ref.namespace },
      });
      return [{ ref: `${ref.namespace}/${ref.name}`, data: cm.data ?? {} }];
    } catch (e) {
      if ((e as { code?: number }).code === 404)
        throw new OverlayError(`parametersRef names ConfigMap ${ref.namespace}/${ref.name}, which does not exist`);
      throw e;
    }
  }

  /** A waypoint of our class and revision: we deploy it and write its status; another control plane does the rest. */
  private ours(world: World, gw: Gateway): boolean {
    if (gw.spec?.gatewayClassName !== this.opts.scope.gatewayClass) return false;
    const ns = get(world, 'Namespace', undefined, gw.metadata.namespace ?? 'default');
    return ownedByRevision(this.opts.scope.revision, gw.metadata.labels, ns?.metadata.labels);
  }

  private async once(world: World, statuses: readonly ObjectStatus[]): Promise<void> {
    await this.writer.ensure({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: this.opts.scope.gatewayClass },
      spec: { controllerName: this.opts.scope.controllerName },
    });
    const classDefaults = await this.classDefaults();
    for (const gw of list(world, 'Gateway')) {
      if (!this.ours(world, gw)) continue;
      let objects: KubeObject[];
      try {
        const own = await this.parameters(gw);
        const generated = waypointObjects(gw, { ...this.opts.deploy, scope: this.opts.scope });
        objects = applyOverlays(generated, [...classDefaults, ...own]);
      } catch (e) {
        if (!(e instanceof OverlayError)) throw e;
        // As istiod: a waypoint whose overlays are wrong is not deployed until they are fixed.
        this.log.warn(
          { gateway: `${gw.metadata.namespace}/${gw.metadata.name}`, error: e.message },
          'waypoint not deployed: bad overlay',
        );
        continue;
      }
      for (const obj of objects) {
        const key = `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
        const body = JSON.stringify(obj);
        if (this.applied.get(key) === body) continue;
        await this.writer.apply(obj);
        this.applied.set(key, body);
      }
    }
    for (const s of statuses) {
      if (!this.elector.isLeader) return;
      if (s.kind === 'Gateway') {
        const gw = get(world, 'Gateway', s.namespace, s.name);
        if (!gw || !this.ours(world, gw)) continue;
        const gs = waypointGatewayStatus(world, gw, this.opts.domain);
        // Accepted is the translator's; Programmed goes after it, before what
        // the translation adds (a resource Envoy would reject).
        const conds = s.conditions ?? [];
        await this.writer.status(
          world,
          {
            ...s,
            conditions: [
              ...conds.filter((c) => c.type !== ENVOY_ACCEPTED),
              gs.programmed,
              ...conds.filter((c) => c.type === ENVOY_ACCEPTED),
            ],
          },
          { addresses: gs.addresses },
        );
      } else {
        await this.writer.status(world, s);
      }
    }
    if (this.elector.isLeader) await this.addresses.reconcile(world);
  }
}
