// `serve --config-dir` never calls an API server, and @kubernetes/client-node
// takes a few hundred milliseconds to load: loading the CLI must not load it.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');

describe('start-up', () => {
  it('loading the CLI (and with it serve, the pipeline and the controller) does not load the Kubernetes client', () => {
    // Every require is seen as it is asked for, whether the package then loads as CommonJS or ES modules.
    const script = `
      const Module = require('node:module');
      const load = Module._load;
      const asked = [];
      Module._load = function (request, parent, isMain) {
        if (request.startsWith('@kubernetes/client-node')) asked.push(parent ? parent.filename : request);
        return load.call(this, request, parent, isMain);
      };
      require(${JSON.stringify(MAIN)});
      process.stdout.write(JSON.stringify(asked));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    assert.deepEqual(loaded, []);
  });
});
