import type { Logger } from 'pino';

/**
 * How many log lines a client can cause. Each (reason, client) pair has a
 * bucket of `burst` lines refilled at `perSecond`; each reason also has a
 * bucket of its own, so a client that changes its name on every stream is
 * still held to `reasonBurst` / `reasonPerSecond` in all.
 */
export interface LogLimitOptions {
  burst: number;
  perSecond: number;
  reasonBurst: number;
  reasonPerSecond: number;
  /** Most (reason, client) buckets kept; the oldest is forgotten first. */
  maxKeys: number;
}

export const DEFAULT_LOG_LIMIT: LogLimitOptions = {
  burst: 5,
  perSecond: 0.2,
  reasonBurst: 200,
  reasonPerSecond: 20,
  maxKeys: 10_000,
};

/** Longest client-supplied text a log line or a debug view carries. */
export const MAX_LOGGED_TEXT = 512;

/** `text` cut to `max` characters, saying how much was cut. */
export function clip(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length - max} more characters)`;
}

/** At most `max` names, and how many there were when that is more. */
export function clipNames(names: readonly string[], max = 20): string[] {
  if (names.length <= max) return names.map((n) => clip(n, 256));
  return [...names.slice(0, max).map((n) => clip(n, 256)), `…(${names.length - max} more)`];
}

interface Bucket {
  tokens: number;
  at: number;
  /** Lines dropped since this bucket last let one through. */
  dropped: number;
}

/** Token buckets per (reason, client) and per reason; see LogLimitOptions. */
export class LogLimiter {
  private readonly keyed = new Map<string, Bucket>();
  private readonly reasons = new Map<string, Bucket>();

  constructor(
    private readonly opts: LogLimitOptions = DEFAULT_LOG_LIMIT,
    private readonly onDrop: (reason: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a line for `reason` about `who` may be written now. When it may,
   * the result says how many lines of that pair were dropped before it.
   */
  admit(reason: string, who: string): { suppressed: number } | undefined {
    const now = this.now();
    const id = `${reason}\u0000${who}`;
    let b = this.keyed.get(id);
    if (!b) {
      if (this.keyed.size >= this.opts.maxKeys) this.keyed.delete(this.keyed.keys().next().value as string);
      b = { tokens: this.opts.burst, at: now, dropped: 0 };
      this.keyed.set(id, b);
    }
    let r = this.reasons.get(reason);
    if (!r) this.reasons.set(reason, (r = { tokens: this.opts.reasonBurst, at: now, dropped: 0 }));
    refill(b, now, this.opts.burst, this.opts.perSecond);
    refill(r, now, this.opts.reasonBurst, this.opts.reasonPerSecond);
    if (b.tokens < 1 || r.tokens < 1) {
      b.dropped++;
      this.onDrop(reason);
      return undefined;
    }
    b.tokens--;
    r.tokens--;
    const suppressed = b.dropped;
    b.dropped = 0;
    return { suppressed };
  }
}

function refill(b: Bucket, now: number, burst: number, perSecond: number): void {
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
  b.at = now;
}

/** Log lines a client's behaviour causes, each admitted by a LogLimiter first. */
export class ClientLog {
  constructor(
    private readonly log: Logger,
    readonly limiter: LogLimiter,
  ) {}

  warn(who: string, fields: Record<string, unknown>, msg: string): void {
    this.write('warn', who, fields, msg);
  }

  info(who: string, fields: Record<string, unknown>, msg: string): void {
    this.write('info', who, fields, msg);
  }

  private write(level: 'warn' | 'info', who: string, fields: Record<string, unknown>, msg: string): void {
    if (!this.log.isLevelEnabled(level)) return;
    const ok = this.limiter.admit(msg, who);
    if (!ok) return;
    this.log[level](ok.suppressed > 0 ? { ...fields, suppressed: ok.suppressed } : fields, msg);
  }
}
