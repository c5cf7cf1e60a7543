import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The scope of lines logged by the root logger itself (istiod's name for it). */
export const DEFAULT_SCOPE = 'default';

/** The scoped loggers made from one root, by scope, so their levels can change at run time. */
class Scopes {
  readonly byName = new Map<string, Logger[]>();
  constructor(readonly root: Logger) {}
}

const scopesOf = new WeakMap<Logger, Scopes>();

/**
 * The server's root logger: JSON lines on stderr with level names, ISO
 * timestamps and a `scope` on every line, so a log pipeline grades and sorts
 * them without a custom parser; pretty on a terminal when pino-pretty is
 * installed (a development dependency, absent from the image).
 */
export function createLogger(
  level: string,
  opts: { pretty?: boolean; destination?: pino.DestinationStream } = {},
): Logger {
  const pretty = opts.pretty ?? (process.stderr.isTTY === true && opts.destination === undefined && hasPretty());
  const options: pino.LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // A line from a logger without a scope of its own says it is the default one.
    mixin: (_obj, _level, logger) => (logger.bindings().scope === undefined ? { scope: DEFAULT_SCOPE } : {}),
  };
  const root = pretty
    ? pino({
        ...options,
        // pino-pretty reads numeric levels; its own output names them.
        formatters: {},
        transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } },
      })
    : pino(options, opts.destination ?? pino.destination(2));
  scopesOf.set(root, new Scopes(root));
  return root;
}

function hasPretty(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** A logger for one part of the server (`xds`, `kube`, …): every line carries `scope: <name>`. */
export function scoped(parent: Logger, name: string): Logger {
  const child = parent.child({ scope: name });
  const scopes = scopesOf.get(parent);
  if (scopes) {
    scopesOf.set(child, scopes);
    const list = scopes.byName.get(name) ?? [];
    list.push(child);
    scopes.byName.set(name, list);
  }
  return child;
}

export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v);
}

/** Every scope made from `root` and its level (pino fixes a child's level when it is made). */
export function scopeLevels(root: Logger): Record<string, string> {
  const out: Record<string, string> = { [DEFAULT_SCOPE]: root.level };
  for (const [name, list] of scopesOf.get(root)?.byName ?? []) out[name] = list[0]?.level ?? root.level;
  return out;
}

/**
 * Sets the level of one scope, or of every scope when `scope` is undefined
 * (what `istioctl admin log --level` does for istiod). Unknown scopes are an error.
 */
export function setScopeLevel(root: Logger, level: LogLevel, scope?: string): void {
  const scopes = scopesOf.get(root);
  if (scope !== undefined && scope !== DEFAULT_SCOPE && !scopes?.byName.has(scope)) {
    throw new Error(`no log scope ${scope}; scopes: ${Object.keys(scopeLevels(root)).join(', ')}`);
  }
  if (scope === undefined || scope === DEFAULT_SCOPE) root.level = level;
  for (const [name, list] of scopes?.byName ?? []) {
    if (scope === undefined || scope === name) for (const l of list) l.level = level;
  }
}
