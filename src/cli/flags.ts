import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/** Parses argv strictly: unknown flags, missing values and stray arguments are usage errors. */
export function parse<T extends FlagSpec>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(parseProblem(e));
  }
}

/** node:util's parse errors, said in one short line as cobra says them. */
function parseProblem(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(err.message ?? '')?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag: ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(err.message ?? '')
        ? `flag needs an argument: ${quoted.replace(/ <value>$/, '')}`
        : (err.message ?? String(e));
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return err.message ?? String(e);
  }
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration ("100ms", "90s", "1m30s", "1.5h") in milliseconds, as
 * istioctl's flags take them (Go time.ParseDuration); "0" alone needs no unit.
 */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim();
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    ms += Number(m[1]) * (UNITS[m[2]!] ?? 1);
    at = re.lastIndex;
  }
  if (v === '' || at !== v.length)
    throw new UsageError(`--${flag}: "${value}" is not a duration (e.g. 100ms, 10s, 1m30s)`);
  return ms;
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
