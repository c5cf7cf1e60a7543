#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`).
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('error: istiod-lite is not built: run "npm run build" in the project first\n');
    process.exit(1);
  }
  throw e;
}
cli.main(process.argv.slice(2));
