// Exit statuses, as istioctl's (istioctl/cmd/sysexits.go): sysexits' 64 and 65
// for usage and input data, 79 for analyzer findings a CI gate acts on.
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 64;
export const EXIT_DATA = 65;
export const EXIT_ANALYZER_ISSUES = 79;

/** A mistake in how a command was invoked: one line pointing at --help, exit status 64. */
export class UsageError extends Error {
  /** The subcommand whose --help to point at, when there is one. */
  subcommand?: string;
}

/** A command that ran and failed for a reason the user must fix: exit status 1 unless given. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message);
  }
}
