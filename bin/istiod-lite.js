#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`).
const { spawn } = require('node:child_process');

let runtime;
try {
  runtime = require('../dist/src/server/runtime-env.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/src/server/')) {
    process.stderr.write('error: istiod-lite is not built: run "npm run build" in the project first\n');
    process.exit(1);
  }
  throw e;
}

const args = process.argv.slice(2);
if (runtime.needsMallocRestart(args, process.env, process.platform)) {
  // `serve` runs under the image's malloc settings (src/server/runtime-env.ts),
  // which glibc reads only at start: start it again with them, pass signals
  // on, and end as it ends.
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...args], {
    stdio: 'inherit',
    env: runtime.restartEnv(process.env, process.pid),
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (sig) => child.kill(sig);
  for (const sig of signals) process.on(sig, forward);
  child.on('exit', (code, signal) => {
    for (const sig of signals) process.off(sig, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const launcher = Number(process.env[runtime.LAUNCHER_PID_ENV] || 0);
  if (launcher) {
    // The launcher was killed outright (SIGKILL): stop as if told to, not run on unowned.
    setInterval(() => {
      if (process.ppid !== launcher) process.kill(process.pid, 'SIGTERM');
    }, 1000).unref();
  }
  require('../dist/src/cli/main.js').main(args);
}
