import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Pretty logs on a terminal, JSON lines otherwise (for log collectors). */
export function createLogger(level: string, pretty = process.stderr.isTTY === true): Logger {
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino({ level }, pino.destination(2));
}
