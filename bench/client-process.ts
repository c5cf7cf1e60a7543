// The parent side of bench/clients.ts: forks the client process and speaks
// its small IPC protocol. Clients live in their own process so their CPU is
// not the server's.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface Receipt {
  client: number;
  type: string;
  at: number;
  bytes: number;
}

export interface BenchNode {
  id: string;
  ns: string;
  waypoint: string;
}

export class Clients {
  private readonly child: ChildProcess;
  private readonly waiters = new Map<string, (m: Record<string, unknown>) => void>();
  /** Streams that failed other than by our own cancel (the first 20). */
  readonly errors: string[] = [];

  constructor() {
    this.child = fork(join(__dirname, 'clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Record<string, unknown>) => {
      if (m.event === 'client-error') {
        if (this.errors.length < 20) this.errors.push(`client ${String(m.client)}: ${String(m.error)}`);
        return;
      }
      const w = this.waiters.get(String(m.event));
      if (w) {
        this.waiters.delete(String(m.event));
        w(m);
      }
    });
  }

  send(cmd: string, extra: Record<string, unknown> = {}): void {
    this.child.send({ cmd, ...extra });
  }

  /** The client process's id, for reading its CPU time. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  wait(event: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(`clients: no ${event} within ${timeoutMs} ms${this.errors.length ? `; ${this.errors[0]}` : ''}`),
          ),
        timeoutMs,
      );
      this.waiters.set(event, (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  /** Every response received since the last call. */
  async receipts(): Promise<Receipt[]> {
    const r = this.wait('report');
    this.send('report');
    return (await r).receipts as Receipt[];
  }

  exit(): void {
    this.send('exit');
  }
}

/** One waypoint proxy identity per client, spread round-robin over the waypoints. */
export function benchNodes(waypoints: readonly string[], count: number): BenchNode[] {
  return Array.from({ length: count }, (_, i) => {
    const [ns = '', wp = ''] = (waypoints[i % waypoints.length] ?? '').split('/');
    return {
      id: `waypoint~10.200.${i >> 8}.${i & 255}~${wp}-bench-${i}.${ns}~${ns}.svc.cluster.local`,
      ns,
      waypoint: wp,
    };
  });
}
