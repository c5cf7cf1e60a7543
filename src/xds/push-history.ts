import { shortType } from '../envoy';

/** One response sent to a proxy, and what became of it. */
export interface PushRecord {
  /** When it was written (ms since the epoch). */
  at: number;
  proxy: string;
  type: string;
  nonce: string;
  resources: number;
  removed: number;
  bytes: number;
  /** sent: no answer yet; acked/nacked by the proxy. */
  outcome: 'sent' | 'acked' | 'nacked';
  /** The proxy's error text, for a NACK (already cut short by the connection). */
  error?: string;
  /** When the proxy answered. */
  settledAt?: number;
}

/** Seconds from a configuration change to a proxy acknowledging it, and when. */
export interface ConvergenceSample {
  at: number;
  proxy: string;
  seconds: number;
}

export interface PushHistoryOptions {
  /** Responses kept, newest first out (istiod keeps no such list; this one is for the debug page). */
  maxPushes: number;
  /** How far back convergence samples are kept. */
  windowMs: number;
  /** At most this many samples in the window; the oldest go first. */
  maxSamples: number;
  now: () => number;
}

export const DEFAULT_PUSH_HISTORY: PushHistoryOptions = {
  maxPushes: 200,
  windowMs: 60 * 60 * 1000,
  maxSamples: 20_000,
  now: () => Date.now(),
};

/**
 * The recent pushes and their ACKs or NACKs, and the convergence times of
 * the last hour: what pilot_xds_pushes, pilot_total_xds_rejects and
 * pilot_proxy_convergence_time count, kept per event so a page can show
 * them. Bounded on both counts, so a busy server holds a fixed amount.
 */
export class PushHistory {
  private readonly opts: PushHistoryOptions;
  private readonly pushes: PushRecord[] = [];
  private readonly byNonce = new Map<string, PushRecord>();
  private readonly samples: ConvergenceSample[] = [];

  constructor(opts: Partial<PushHistoryOptions> = {}) {
    this.opts = { ...DEFAULT_PUSH_HISTORY, ...opts };
  }

  pushed(
    proxy: string,
    f: { typeUrl: string; nonce: string; names: readonly string[]; removed: readonly string[]; size: number },
  ): void {
    const rec: PushRecord = {
      at: this.opts.now(),
      proxy,
      type: shortType(f.typeUrl),
      nonce: f.nonce,
      resources: f.names.length,
      removed: f.removed.length,
      bytes: f.size,
      outcome: 'sent',
    };
    this.pushes.push(rec);
    this.byNonce.set(f.nonce, rec);
    while (this.pushes.length > this.opts.maxPushes) this.byNonce.delete(this.pushes.shift()!.nonce);
  }

  /** The proxy answered the response with `nonce`: an ACK, or a NACK with its error. */
  settled(nonce: string, error?: string): void {
    const rec = this.byNonce.get(nonce);
    if (!rec || rec.outcome !== 'sent') return;
    rec.outcome = error === undefined ? 'acked' : 'nacked';
    if (error !== undefined) rec.error = error;
    rec.settledAt = this.opts.now();
  }

  converged(proxy: string, seconds: number): void {
    this.samples.push({ at: this.opts.now(), proxy, seconds });
    this.trim();
  }

  /** Up to `limit` responses, newest first. */
  recent(limit = this.opts.maxPushes): PushRecord[] {
    return this.pushes
      .slice(-limit)
      .reverse()
      .map((r) => ({ ...r }));
  }

  /** The samples of the window, oldest first. */
  convergence(): ConvergenceSample[] {
    this.trim();
    return this.samples.map((s) => ({ ...s }));
  }

  get windowMs(): number {
    return this.opts.windowMs;
  }

  private trim(): void {
    const from = this.opts.now() - this.opts.windowMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.at < from) drop++;
    drop = Math.max(drop, this.samples.length - this.opts.maxSamples);
    if (drop > 0) this.samples.splice(0, drop);
  }
}
