/**
 * Polls `get` (which may be async) every `everyMs` until it gives something
 * truthy, and returns that; fails after `ms` naming `what`. What a test waits
 * for is an observable state (an object written, a log line, a counter), never
 * a length of time.
 */
export async function until<T>(
  get: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  what: string,
  ms = 15_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
