import { buildAmbientIndex, type AmbientIndex } from '../ambient';
import { applyChanges, EMPTY_WORLD, type Change, type World } from '../model';
import { describeError, type SourceError } from '../watch/source';
import { CommandError, EXIT_DATA } from './errors';
import { findCluster, requireCluster, type KubeTarget } from './kube-context';
import { readInputs } from './manifest-input';
import pino from 'pino';

/** Loads manifests for an offline command (-f, -R), printing refused documents as errors. */
export function loadManifestFiles(files: string[], recursive = false): { world: World } {
  const input = readInputs(files, recursive);
  reportLoadErrors(input.errors);
  return { world: applyChanges(EMPTY_WORLD, input.changes).world };
}

/**
 * A refused document or object is an error, as `kubectl apply` would make it:
 * the rest still loads, and the command exits 65 (istioctl's FileParseError).
 */
function reportLoadErrors(errors: readonly SourceError[]): void {
  for (const e of errors) process.stderr.write(`error: ${describeError(e)}\n`);
  if (errors.length > 0) process.exitCode = EXIT_DATA;
}

/** Where a command's World came from, for its messages. */
export interface LoadedWorld {
  world: World;
  index: AmbientIndex;
  /** A cluster was read (the files, if any, are laid over it). */
  kube: boolean;
  /** The kubeconfig context's namespace, or "default": what -n defaults to. */
  namespace: string;
}

/** Lists everything once from the cluster, as serve's informers would see it. */
export async function listCluster(target: KubeTarget): Promise<Change[]> {
  // Loaded here, not at the top: the Kubernetes client costs ~0.4 s to load, which every
  // command importing this module (serve --config-dir among them) would pay for nothing.
  const { createKubeSource } = await import('../server/kube');
  const src = createKubeSource({ config: target.kc, log: pino({ level: 'silent' }) });
  const changes: Change[] = [];
  src.onChanges((c) => changes.push(...c));
  try {
    await src.probe();
  } catch (e) {
    throw new CommandError(
      `cannot reach the cluster at ${target.server}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new CommandError(`cannot list from ${src.name} within 15s`)), 15_000).unref(),
  );
  try {
    await Promise.race([src.start(), timeout]);
  } finally {
    await src.stop();
  }
  reportLoadErrors(src.errors());
  return changes;
}

/**
 * The World a reading command works on (istioctl analyze's model): the
 * cluster of the current kubeconfig, with the -f manifests laid over it
 * ("what if I applied these"); with no cluster configured, the manifests
 * alone. Neither is an error: nothing else (no bundled example) is used.
 */
export async function loadWorld(opts: {
  files?: string[];
  recursive?: boolean;
  kubeconfig?: string;
  context?: string;
}): Promise<LoadedWorld> {
  const files = opts.files ?? [];
  const target = await findCluster(opts);
  if (!target && files.length === 0) {
    await requireCluster(opts, 'or give manifests with -f');
  }
  // Files first: a parse error is reported even when the cluster then fails.
  const input = readInputs(files, opts.recursive);
  reportLoadErrors(input.errors);
  const base = target ? await listCluster(target) : [];
  const world = applyChanges(EMPTY_WORLD, [...base, ...input.changes]).world;
  // Offline there is no controller to deploy waypoints: a valid one counts as ready.
  return {
    world,
    index: buildAmbientIndex(world, { assumeReady: !target }),
    kube: target !== undefined,
    namespace: target?.namespace ?? 'default',
  };
}
