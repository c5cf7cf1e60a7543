// `serve`: reads its flags, then starts the server (src/server) and stops it
// on a signal, as pilot-discovery's command does around bootstrap.NewServer
// (pilot/cmd/pilot-discovery/app/cmd.go: newDiscoveryCommand).
import type { Command } from './commands';
import { serveOptions, USAGE } from './serve-options';
import { createLogger } from '../server/log';
import { startServer } from '../server/server';
import { startHeapCompaction } from '../server/v8-heap';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the control plane',
  usage: USAGE,
  async run(argv) {
    const { opts, logLevel } = serveOptions(argv);
    const log = createLogger(logLevel);
    const compaction = startHeapCompaction({
      onError: (err) => log.warn({ err }, 'V8 refused --compact-on-every-full-gc; heap compaction is off'),
    });
    const server = await startServer(opts, log);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'shutting down');
        compaction.stop();
        void server.stop().then(resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
};
