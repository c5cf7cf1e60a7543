import { COMMANDS, findCommand } from './commands';
import { SetupError } from '../server/errors';
import { CommandError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './errors';

function usage(): string {
  const lines = ['usage: istiod-lite <command> [flags]', '', 'commands:'];
  for (const c of COMMANDS)
    lines.push(`  ${c.name.padEnd(16)} ${c.summary}${c.aliases ? ` (alias: ${c.aliases.join(', ')})` : ''}`);
  lines.push(
    '',
    'Commands are also accepted under "x" (istiod-lite x waypoint apply …), as istioctl spells them.',
    'Run "istiod-lite <command> --help" for a command\'s flags.',
  );
  return lines.join('\n');
}

/**
 * A reader that goes away (`… | head`) ends the output, not the program with
 * a stack trace: the shell's pipeline already has what it asked for.
 */
function quietOnClosedPipe(): void {
  for (const s of [process.stdout, process.stderr])
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
}

/** A system error (port in use, file not found…) as one line, without Node's stack. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const sys = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (sys.code === 'EADDRINUSE')
    return `cannot listen on ${sys.address ?? ''}${sys.port !== undefined ? `:${sys.port}` : ''}: address already in use`;
  return e.message;
}

/**
 * A one-shot command is over once its output is written: a watch or timer
 * left behind by a client library must not keep the shell waiting. The
 * empty write's callback runs after everything written before it is flushed.
 */
function finish(): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit()));
}

/** Entry point: runs a command and sets the exit status (see errors.ts: istioctl's codes). */
export async function main(argv: string[]): Promise<void> {
  await run(argv);
  finish();
}

async function run(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  let args = argv;
  if (args[0] === 'x' || args[0] === 'experimental') args = args.slice(1);
  const [name, ...rest] = args;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    // As istioctl: asking for help, or giving no command, prints it and succeeds.
    process.stdout.write(usage() + '\n');
    return;
  }
  const cmd = findCommand(name);
  // `<command> [sub] -h` asks for that command's usage, as istioctl answers
  // it: on stdout, exit 0 (arguments after `--` are not flags).
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (cmd && (flags.includes('-h') || flags.includes('--help'))) {
    process.stdout.write((cmd.helpFor?.(flags) ?? cmd.usage) + '\n');
    return;
  }
  try {
    if (!cmd) throw new UsageError(`unknown command "${name}" (see "istiod-lite --help")`);
    await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      // One line, as the rest of the screen is the user's; the usage is one --help away.
      const where = cmd ? `istiod-lite ${cmd.name}${e.subcommand ? ` ${e.subcommand}` : ''}` : '';
      process.stderr.write(`error: ${e.message}${where ? ` (see "${where} --help")` : ''}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (e instanceof CommandError || e instanceof SetupError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = e instanceof CommandError ? e.exitCode : EXIT_FAILURE;
    } else {
      process.stderr.write(`error: ${describe(e)}\n`);
      if (process.env.ISTIOD_LITE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      process.exitCode = EXIT_FAILURE;
    }
  }
}
