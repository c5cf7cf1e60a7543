import { serveCommand } from './serve';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [serveCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
