import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewEveryMs: number;
}

interface Lease extends k8s.KubernetesObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
  };
}

const micro = (d: Date) => d.toISOString().replace('Z', '000Z');

/**
 * Leader election on a coordination.k8s.io Lease: whoever holds an unexpired
 * lease writes to the cluster; the others wait for it to lapse. Updates carry
 * the resourceVersion they read, so two replicas cannot both win a takeover.
 */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;

  constructor(
    private readonly api: k8s.KubernetesObjectApi,
    private readonly opts: LeaderOptions,
    private readonly log: Logger,
    private readonly onChange: (leading: boolean) => void,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops renewing (the lease lapses and another replica takes over) and steps down. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.set(false);
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info({ identity: this.opts.identity, leading }, leading ? 'became leader' : 'stopped leading');
    this.onChange(leading);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      this.set(await this.tryAcquireOrRenew());
    } catch (e) {
      this.log.warn({ error: e instanceof Error ? e.message : String(e) }, 'leader election round failed');
      this.set(false);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.opts.renewEveryMs);
      this.timer.unref();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const ref = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace },
    };
    let lease: Lease | undefined;
    try {
      lease = (await this.api.read(ref)) as Lease;
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const spec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      renewTime: micro(now),
    };
    if (!lease) {
      await this.api.create({ ...ref, spec: { ...spec, acquireTime: micro(now), leaseTransitions: 0 } } as Lease);
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
    if (holder !== this.opts.identity && !expired) return false;
    const takeover = holder !== this.opts.identity;
    await this.api.replace({
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        ...(takeover ? { acquireTime: micro(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } : {}),
      },
    } as Lease);
    return true;
  }
}
