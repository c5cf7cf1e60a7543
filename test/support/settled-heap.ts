// The heap in use once collections have settled, for tests that check what a
// piece of code leaves alive. `gc` is exposed at run time, so the test runner
// needs no flag.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects four times, letting finalizers and weak callbacks run between, then reads heapUsed. */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}
