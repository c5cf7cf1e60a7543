import { analyzeCommand } from './analyze';
import { proxyConfigCommand } from './proxy-config';
import { proxyStatusCommand } from './proxy-status';
import { serveCommand } from './serve';
import { translateCommand } from './translate-cmd';
import { versionCommand } from './version';
import { completionCommand } from './completion';
import { waypointCommand } from './waypoint';
import { ztunnelConfigCommand } from './ztunnel-config';
import { diffCommand } from './diff-cmd';
import { explainCommand } from './explain';

export interface Command {
  name: string;
  /** Other names it answers to (istioctl's: ps, pc, zc). */
  aliases?: readonly string[];
  summary: string;
  usage: string;
  /** The usage `-h` prints given the command's arguments (a subcommand's own), when not `usage`. */
  helpFor?(argv: string[]): string;
  run(argv: string[]): Promise<void>;
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  waypointCommand,
  proxyStatusCommand,
  proxyConfigCommand,
  ztunnelConfigCommand,
  analyzeCommand,
  explainCommand,
  translateCommand,
  diffCommand,
  versionCommand,
  completionCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}
