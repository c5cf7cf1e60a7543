import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';
import { parseGoDuration } from '../model/values';

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

/** A Go duration flag ("100ms", "90s", "1m30s", "1.5h") in milliseconds (values.ts: parseGoDuration). */
export function parseDuration(flag: string, value: string): number {
  const r = parseGoDuration(value.trim());
  if (!r.ok) throw new UsageError(`--${flag}: ${r.problem}`);
  return r.value;
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
