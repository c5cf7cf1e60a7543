/** A mistake in how a command was invoked: printed with usage, exit status 2. */
export class UsageError extends Error {}

/** A command that ran and failed for a reason the user must fix: exit status 1. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
