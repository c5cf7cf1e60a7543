import type { Change } from '../model';

/** A problem with one input document or object, precise enough to fix it. */
export interface SourceError {
  source: string;
  file?: string;
  line?: number;
  kind?: string;
  namespace?: string;
  name?: string;
  message: string;
}

export function describeError(e: SourceError): string {
  const where = e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : e.source;
  const what = e.kind ? ` ${e.kind}${e.name ? ` ${e.namespace ? `${e.namespace}/` : ''}${e.name}` : ''}` : '';
  // `file:line: Kind ns/name: field.path: problem`, the shape the issue tracker and editors link.
  return `${where}:${what}${what ? ':' : ''} ${e.message}`.replace(/: +/g, ': ');
}

/**
 * `arrivedAt`: when the event these changes answer happened (a file event
 * before the source's settle and re-read), if the source knows; the push
 * debounce counts its quiet period from it. Default: when they are delivered.
 */
export type ChangeListener = (changes: Change[], arrivedAt?: number) => void;

/** Where input objects come from: a manifest directory, a cluster, or a test. */
export interface ConfigSource {
  readonly name: string;
  /** Resolves once the initial state has been delivered (the source is synced). */
  start(): Promise<void>;
  stop(): Promise<void>;
  onChanges(listener: ChangeListener): void;
  /** Current problems (bad documents, duplicates, unreachable kinds). */
  errors(): readonly SourceError[];
  readonly synced: boolean;
}
