import { buildAmbientIndex, type AmbientIndex } from '../ambient';
import { applyChanges, EMPTY_WORLD, type Change, type World } from '../model';
import { loadManifests } from '../watch/load';
import { describeError, type SourceError } from '../watch/source';
import { bundledExample } from './pipeline';
import { CommandError, EXIT_DATA } from './errors';
import pino from 'pino';

/** Loads manifests for an offline command, printing refused documents as errors. */
export async function loadManifestFiles(files: string[]): Promise<{ world: World }> {
  let loaded;
  try {
    loaded = await loadManifests(files);
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
  reportLoadErrors(loaded.errors);
  return loaded;
}

/**
 * A refused document or object is an error, as `kubectl apply` would make it:
 * the rest still loads, and the command exits 65 (istioctl's FileParseError).
 */
function reportLoadErrors(errors: readonly SourceError[]): void {
  for (const e of errors) process.stderr.write(`error: ${describeError(e)}\n`);
  if (errors.length > 0) process.exitCode = EXIT_DATA;
}

/**
 * The World an offline command works on: manifests (-f), a cluster
 * (--kubeconfig, listed once), or the bundled example.
 */
export async function loadWorld(opts: {
  files?: string[];
  kubeconfig?: string;
}): Promise<{ world: World; index: AmbientIndex; kube: boolean }> {
  if (opts.kubeconfig) {
    // Loaded only here: the Kubernetes client is slow to load and file input never uses it.
    const { createKubeSource } = await import('./kube');
    const src = createKubeSource({ kubeconfig: opts.kubeconfig, log: pino({ level: 'silent' }) });
    const changes: Change[] = [];
    src.onChanges((c) => changes.push(...c));
    try {
      await src.probe();
    } catch (e) {
      throw new CommandError(e instanceof Error ? e.message : String(e));
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
    const world = applyChanges(EMPTY_WORLD, changes).world;
    return { world, index: buildAmbientIndex(world, { assumeReady: false }), kube: true };
  }
  const loaded = await loadManifestFiles(opts.files && opts.files.length > 0 ? opts.files : [bundledExample()]);
  return { world: loaded.world, index: buildAmbientIndex(loaded.world, { assumeReady: true }), kube: false };
}
