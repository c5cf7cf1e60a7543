/**
 * `make` memoised on its one argument, an object never modified once built
 * (the World's objects and cached lists, IR pieces: a change makes new ones,
 * so a new value follows). `make` receives that object and nothing else, and
 * `derive` is called at module level (test/repo/derived-deps.test.ts checks
 * it), so its closure holds no translation's state: the value cannot depend
 * on a read its key does not stand for. A value that reads more than its key
 * is kept with reads.ts: memoRead, which replays what it read on every hit.
 */
export function derive<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const memo = new WeakMap<K, V>();
  return (key) => {
    const hit = memo.get(key);
    if (hit !== undefined || memo.has(key)) return hit as V;
    const value = make(key);
    memo.set(key, value);
    return value;
  };
}
