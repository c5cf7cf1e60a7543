import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/** Parses argv strictly: unknown flags and missing values are usage errors. */
export function parse<T extends FlagSpec>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "100ms", "10s", "1.5m" → milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag}: "${value}" is not a duration (e.g. 100ms, 10s, 1m)`);
  return Number(m[1]) * (UNITS[m[2]!] ?? 1);
}

export function parsePort(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag}: "${value}" is not a port number`);
  return n;
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag}: "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}
