/** Polls `get` every `everyMs` until it returns something truthy, and returns that; fails after `ms` naming `what`. */
export async function until<T>(
  get: () => T | undefined | false | null,
  what: string,
  ms = 15_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
