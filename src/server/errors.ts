/**
 * The server cannot start as it was set up (a configuration directory that
 * does not exist, a kubeconfig that cannot be read, a CA that will not load):
 * a reason its operator must fix, told in one line. The CLI reports it as it
 * reports its own command errors, with exit status 1 and no stack.
 */
export class SetupError extends Error {}
