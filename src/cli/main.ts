import { COMMANDS, findCommand } from './commands';
import { CommandError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './errors';

function usage(): string {
  const lines = ['usage: istiod-lite <command> [flags]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(16)} ${c.summary}`);
  lines.push('', 'Commands are also accepted under "x" (istiod-lite x waypoint apply …), as istioctl spells them.');
  return lines.join('\n');
}

/** Entry point: runs a command and sets the exit status (see errors.ts: istioctl's codes). */
export async function main(argv: string[]): Promise<void> {
  let args = argv;
  if (args[0] === 'x' || args[0] === 'experimental') args = args.slice(1);
  const [name, ...rest] = args;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    // As istioctl: asking for help, or giving no command, prints it and succeeds.
    process.stdout.write(usage() + '\n');
    return;
  }
  const cmd = findCommand(name);
  // `<command> -h` asks for that command's usage, as istioctl answers it: on
  // stdout, exit 0 (arguments after `--` are not flags).
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (cmd && (flags.includes('-h') || flags.includes('--help'))) {
    process.stdout.write(cmd.usage + '\n');
    return;
  }
  try {
    if (!cmd) throw new UsageError(`unknown command "${name}"`);
    await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${cmd?.usage ?? usage()}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (e instanceof CommandError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = EXIT_FAILURE;
    }
  }
}
