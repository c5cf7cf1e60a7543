// What a memo or a reused encoding depends on is its builder's argument, not
// a list kept beside it, and what the translator reads of the World is
// recorded as it reads it: checked against the source, so a new module-level
// memo, a recipe whose build closes over the translation or a read of the
// World past its record fails here, naming the file.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');
const TRANSLATE = join(ROOT, 'src', 'translate');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const sources = files(TRANSLATE).map((p) => ({ file: relative(ROOT, p), text: readFileSync(p, 'utf8') }));

/**
 * Module-level memos that are not `derive`d, each with the mechanism that
 * keeps it right. A new one belongs here only with such a reason.
 */
const OTHER_MEMOS: Readonly<Record<string, string>> = {
  // Keyed by a string that is the whole of what the value is built from.
  'src/translate/waypoint/cluster-defaults.ts metadataByService': 'string key',
  'src/translate/waypoint/cluster-bytes-fixed.ts fixed': 'string key: a fixed cluster by name',
  'src/translate/waypoint/hcm-defaults.ts tracingByProxy': 'string key',
  // reads.ts: memoRead, per translation context: a hit replays its reads.
  'src/translate/waypoint/locality-lb.ts places': 'memoRead',
  'src/translate/waypoint/locality-lb.ts meshes': 'memoRead',
  // workload-api.ts: memoised, whose make receives only its typed input.
  'src/translate/workload-api/workload-api.ts WORKLOAD_MEMO': 'typed input',
  'src/translate/workload-api/workload-api.ts SERVICE_MEMO': 'typed input',
  'src/translate/workload-api/workload-api.ts AUTHZ_MEMO': 'typed input',
  // An IR object and a string of the other values the builder is given.
  'src/translate/waypoint/chain-filters.ts HTTP_RBAC_MEMO': 'IR object and key',
  'src/translate/waypoint/chain-filters.ts HTTP_FILTER_MEMO': 'IR object and key',
  'src/translate/waypoint/listeners.ts HCM_TAIL_MEMO': 'IR object and key',
  'src/translate/waypoint/listeners.ts SERVICE_CHAINS': 'IR object and key',
  // Every argument of the function memoised: an object by identity, the rest by value.
  'src/translate/waypoint/destination-rules.ts USER_RULES': 'World list and domain, all userRule reads',
  'src/translate/waypoint/destination-rules.ts POOLS': "poolsOf's arguments: user rules, namespaces, backend rules",
  // A piece of the proxyless IR, whose recipes are made from it alone.
  'src/translate/proxyless/proxyless.ts PORT_RECIPES': 'IR object',
  'src/translate/proxyless/proxyless.ts SERVER_RECIPES': 'IR object',
};

/**
 * Reads of the World in src/translate that do not go through the read
 * helpers (model/read-log.ts: readObject, readNamespace, readReferencing,
 * readSelected) though a context with a read log is at hand, by file, the
 * function and its kind argument, each with why. A new one belongs here only
 * with such a reason; otherwise read through a helper, which records the key.
 */
const DIRECT_READS: Readonly<Record<string, string>> = {
  // Statuses are recomputed by the status tracker, which expands a change itself.
  'src/translate/status/statuses.ts get Namespace':
    "a Service parent's Namespace: the status tracker expands a Namespace change to its Services",
  'src/translate/status/statuses.ts list kind':
    'every status from scratch, with no read log (the status tracker records each status on its own)',
};

/** The argument list of the call whose `(` is at `open`, split at its top-level commas. */
function argsAt(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return args.filter((a) => a !== '');
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error('unbalanced call');
}

describe('dependencies are the builder’s argument', () => {
  it('a module-level memo in src/translate is derive()d or has a reason of its own', () => {
    const found: string[] = [];
    for (const { file, text } of sources)
      for (const m of text.matchAll(/^(?:export )?const (\w+)(?::[^=]+)? = new (?:Weak)?Map\b/gm))
        found.push(`${file} ${m[1]}`);
    const unexplained = found.filter((f) => OTHER_MEMOS[f] === undefined);
    assert.deepEqual(unexplained, [], 'use derive() (derived.ts) or memoRead (reads.ts), or give a reason here');
    const stale = Object.keys(OTHER_MEMOS).filter((k) => !found.includes(k));
    assert.deepEqual(stale, [], 'entries of OTHER_MEMOS that are gone');
  });

  it('the translator reads the World through a helper that records the read, or says why not', () => {
    const found: string[] = [];
    for (const { file, text } of sources)
      for (const m of text.matchAll(/\b(get|getInNamespace|inNamespace|list)\(ctx\.world,\s*'?(\w+)/g))
        found.push(`${file} ${m[1]} ${m[2]}`);
    const unexplained = found.filter((f) => DIRECT_READS[f] === undefined);
    assert.deepEqual(unexplained, [], 'read through model/read-log.ts, or give a reason in DIRECT_READS');
    const once = new Set(found);
    assert.equal(once.size, found.length, 'one direct read of each kind per file');
    const stale = Object.keys(DIRECT_READS).filter((k) => !once.has(k));
    assert.deepEqual(stale, [], 'entries of DIRECT_READS that are gone');
  });

  it('a PerWorld (reads.ts) is module-level and decides by a module-level function', () => {
    const bad: string[] = [];
    let calls = 0;
    for (const { file, text } of sources) {
      if (file.endsWith('reads.ts')) continue;
      for (const m of text.matchAll(/\bnew PerWorld(?:<[^>()]*>)?\(/g)) {
        calls++;
        const lineStart = text.lastIndexOf('\n', m.index) + 1;
        const [fn] = argsAt(text, (m.index ?? 0) + m[0].length - 1);
        const topLevel = new RegExp(`^(?:export )?(?:function|const) ${fn}\\b`, 'm');
        if (!/^(?:export )?const \w+ = $/.test(text.slice(lineStart, m.index)))
          bad.push(`${file}: ${text.slice(lineStart, m.index).trim()}new PerWorld(`);
        if (!fn || !/^\w+$/.test(fn) || !topLevel.test(text)) bad.push(`${file}: new PerWorld(${fn ?? ''})`);
      }
    }
    assert.ok(calls > 0);
    assert.deepEqual(bad, []);
  });

  it('derive() is called only at module level, so its function closes over no translation', () => {
    const bad: string[] = [];
    for (const { file, text } of sources) {
      if (file.endsWith('derived.ts')) continue;
      for (const m of text.matchAll(/\bderive\(/g)) {
        const lineStart = text.lastIndexOf('\n', m.index) + 1;
        const line = text.slice(lineStart, m.index);
        if (!/^(?:export )?const \w+(?:: [^=]+)? = $/.test(line)) bad.push(`${file}: ${line.trim()}derive(`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no recipe is written with input and build side by side', () => {
    // A build beside its input may close over values the input does not hold,
    // which Reuse would then not compare: fromInput makes a recipe instead.
    const found = sources
      .filter(({ file }) => !file.endsWith('recipe.ts'))
      .filter(({ text }) => /\binput: /.test(text) && /\bbuild(?:: |\(\): |(?= \}))/.test(text))
      .map(({ file }) => file)
      .sort();
    assert.deepEqual(found, []);
  });

  it('a fromInput() recipe is built (and encoded) by module-level functions of its input', () => {
    const bad: string[] = [];
    let calls = 0;
    for (const { file, text } of sources) {
      if (file.endsWith('recipe.ts')) continue;
      // With or without type arguments: fromInput<I, M>(…).
      for (const m of text.matchAll(/\bfromInput(?:<[^>()]*>)?\(/g)) {
        calls++;
        const args = argsAt(text, (m.index ?? 0) + m[0].length - 1);
        // The build, and the encoding when one is given.
        for (const fn of args.slice(2)) {
          const topLevel = new RegExp(`^(?:export )?(?:function|const) ${fn}\\b`, 'm');
          if (!/^\w+$/.test(fn) || !topLevel.test(text)) bad.push(`${file}: fromInput(…, ${fn})`);
        }
        if (args.length < 3) bad.push(`${file}: fromInput(${args.join(', ')}) without a build`);
      }
    }
    assert.ok(calls > 0);
    assert.deepEqual(bad, []);
  });
});
