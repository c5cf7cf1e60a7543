import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { list, type ServiceEntry, type World } from '../model';
import { ownerOf, type AllocatedAddress } from '../model/ip-allocation';
import { SequentialAllocator, withAddresses } from '../model/ip-allocation-plan';
import { JSON_PATCH, MERGE_PATCH, patchStatus } from './kube-api';

// istiod's IP allocator for a cluster (ipallocate.go: IPAllocator): the
// leader writes each ServiceEntry's `status.addresses`; everything else
// (waypoint VIP chains, the workload API) reads them back from the status,
// so addresses survive restarts and leader changes.

export class ServiceEntryAddressWriter {
  writes = 0;
  private readonly allocator = new SequentialAllocator();
  /** What we wrote and the watch has not shown yet: planned from, so one write is not made twice. */
  private readonly pending = new Map<string, AllocatedAddress[]>();

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly log: Logger,
    private readonly fieldManager: string,
  ) {}

  private seen(se: ServiceEntry): ServiceEntry {
    const key = ownerOf(se);
    const mine = this.pending.get(key);
    if (!mine) return se;
    if (JSON.stringify(se.status?.addresses ?? []) === JSON.stringify(mine)) {
      this.pending.delete(key);
      return se;
    }
    return withAddresses(se, mine);
  }

  async reconcile(world: World): Promise<void> {
    const entries = list(world, 'ServiceEntry');
    const live = new Set(entries.map(ownerOf));
    for (const key of this.pending.keys()) if (!live.has(key)) this.pending.delete(key);
    for (const change of this.allocator.plan(entries.map((se) => this.seen(se)))) {
      await this.write(change.se, change.addresses, world);
    }
  }

  /**
   * reconcileServiceEntry: replace the addresses the object had when
   * planned, tested first so a concurrent change is not overwritten; an
   * object without addresses gets them by merge patch, which keeps its
   * conditions.
   */
  private async write(planned: ServiceEntry, addresses: AllocatedAddress[], world: World): Promise<void> {
    const key = ownerOf(planned);
    const current = list(world, 'ServiceEntry').find((s) => ownerOf(s) === key);
    const before = current?.status?.addresses;
    const target = {
      kind: 'ServiceEntry',
      namespace: planned.metadata.namespace,
      name: planned.metadata.name,
      apiVersion: planned.apiVersion,
    };
    this.writes++;
    try {
      if (before && before.length > 0)
        await patchStatus(
          this.kc,
          target,
          [
            { op: 'test', path: '/status/addresses', value: before },
            { op: 'replace', path: '/status/addresses', value: addresses },
          ],
          JSON_PATCH,
          this.fieldManager,
        );
      else await patchStatus(this.kc, target, { status: { addresses } }, MERGE_PATCH, this.fieldManager);
      this.pending.set(key, addresses);
      this.log.info(
        { serviceEntry: key, addresses: addresses.map((a) => `${a.host}=${a.value}`) },
        'addresses allocated',
      );
    } catch (e) {
      // The addresses stay free in our book; the next world update plans again.
      this.pending.delete(key);
      this.log.warn(
        { serviceEntry: key, error: e instanceof Error ? e.message : String(e) },
        'writing ServiceEntry addresses failed',
      );
    }
  }
}
