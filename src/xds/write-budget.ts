/** How much the server lets streams queue to HTTP/2 while they first sync. */
export interface WriteBudgetOptions {
  /**
   * Most bytes handed to HTTP/2 and not yet written out, over every stream of
   * the server, before a first-sync response must wait. One response may
   * always go when nothing else is queued, however large.
   */
  maxBytes: number;
  /**
   * A write still not written out after this long stops counting against
   * maxBytes: its client is slow to read, and other streams should not wait
   * on it for good.
   */
  stallMs: number;
}

export const DEFAULT_WRITE_BUDGET: WriteBudgetOptions = {
  maxBytes: 4 << 20,
  stallMs: 2000,
};

/** Bytes one write holds until HTTP/2 has taken them. */
export interface WriteGrant {
  readonly bytes: number;
  /** Gives the bytes back; safe to call more than once. */
  release(): void;
}

interface Waiter {
  bytes: number;
  go: (grant: WriteGrant) => void;
  cancelled: boolean;
}

/**
 * A server-wide cap on bytes queued to HTTP/2. Each response is copied into
 * its own frame when it is handed to gRPC, and those copies live until the
 * client has read them; when a thousand streams first sync at once, that is
 * hundreds of MB allocated in one burst, most of which the allocator keeps
 * after it is freed. Writes take bytes from the budget until HTTP/2 has sent
 * them; first-sync writes that would pass the cap wait, in arrival order, for
 * earlier ones to drain. Other writes are counted but never wait.
 */
export class WriteBudget {
  private used = 0;
  /** Grants still counted, oldest first (a Set keeps insertion order). */
  private readonly live = new Set<Grant>();
  private readonly waiting: Waiter[] = [];
  private head = 0;
  private timer?: NodeJS.Timeout;
  /** Requests so far that had to wait. */
  waited = 0;

  constructor(private readonly opts: WriteBudgetOptions = DEFAULT_WRITE_BUDGET) {}

  /** Bytes currently counted against the cap. */
  get queuedBytes(): number {
    return this.used;
  }

  /** Requests waiting for the budget. */
  get waitingCount(): number {
    return this.waiting.length - this.head;
  }

  /**
   * Calls `go` with a grant of `bytes` once they fit (at once if they do
   * now, or if `wait` is false); returns a function that withdraws the
   * request if `go` has not run yet.
   */
  acquire(bytes: number, go: (grant: WriteGrant) => void, wait = true): () => void {
    if (!wait || (this.waitingCount === 0 && this.fits(bytes))) {
      go(this.grant(bytes));
      return () => undefined;
    }
    const w: Waiter = { bytes, go, cancelled: false };
    this.waiting.push(w);
    this.waited++;
    this.armStallTimer();
    return () => {
      w.cancelled = true;
      this.admit();
    };
  }

  /** Drops every wait and stops counting; the server is closing. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
    this.head = 0;
    for (const g of this.live) g.writtenOff = true;
    this.live.clear();
    this.used = 0;
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.opts.maxBytes;
  }

  private grant(bytes: number): Grant {
    const g: Grant = {
      bytes,
      at: Date.now(),
      writtenOff: false,
      released: false,
      release: () => {
        if (g.released) return;
        g.released = true;
        if (!g.writtenOff) this.uncount(g);
        this.admit();
      },
    };
    this.used += bytes;
    this.live.add(g);
    return g;
  }

  private uncount(g: Grant): void {
    this.live.delete(g);
    this.used -= g.bytes;
  }

  /** Starts waiters, in order, while they fit. */
  private admit(): void {
    while (this.head < this.waiting.length) {
      const w = this.waiting[this.head]!;
      if (!w.cancelled && !this.fits(w.bytes)) break;
      this.head++;
      if (!w.cancelled) w.go(this.grant(w.bytes));
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.waitingCount === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else this.armStallTimer();
  }

  /** While someone waits, writes older than stallMs are written off when they reach that age. */
  private armStallTimer(): void {
    if (this.timer || this.waitingCount === 0) return;
    const oldest = this.live.values().next().value;
    if (!oldest) return;
    const delay = Math.max(0, oldest.at + this.opts.stallMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const cutoff = Date.now() - this.opts.stallMs;
      for (const g of this.live) {
        if (g.at > cutoff) break;
        g.writtenOff = true;
        this.uncount(g);
      }
      this.admit();
    }, delay);
  }
}

interface Grant extends WriteGrant {
  readonly at: number;
  writtenOff: boolean;
  released: boolean;
}
