import type { Command } from './commands';
import { CommandError, UsageError } from './errors';
import { oneOf, parse } from './flags';
import { formatted, write } from './output';
import { loadManifestFiles } from './world-loader';
import { INPUT_FLAGS, INPUT_USAGE } from './manifest-input';
import { rejectzJson } from '../server/pipeline-reject';
import { DEFAULT_OPTIONS, translateAll } from '../translate';
import { withResolvedJwks } from '../jwks/resolver';
import { renderWaypoint } from '../translate/render';
import { ResourceValidator } from '../validate';
import { findRejections } from '../translate/status/rejections';
import { describeRejection, withRejections } from '../translate/status/status-rejections';

const USAGE = `usage: istiod-lite translate -f FILE_OR_DIR|- [-f …] [-R] [--waypoint NS/NAME] [-o yaml|json] [--offline]

Translates manifests offline (it reads only the files given, never a cluster), on the same code path as the server, and prints
each waypoint's clusters, endpoints, listeners and routes (proto3 JSON with
@type) and the statuses the server would write. Remote JWKS are fetched as the
server fetches them (verified TLS); with --offline they are not, and the
RequestAuthentication statuses say so.

Every resource is checked as serve checks it. A resource Envoy would reject
is still printed, listed under "rejected", and makes the command exit 1 after
printing its problems on stderr; serve would not push it. A document in the
files that cannot be used is reported and the rest translated; the exit
status is then 65.

flags:
${INPUT_USAGE}
  --waypoint NS/NAME      only this waypoint
  -o, --output FORMAT     yaml (default) or json
  --offline               do not fetch remote JWKS`;

export const translateCommand: Command = {
  name: 'translate',
  summary: 'print the Envoy configuration and statuses for manifests, offline',
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        ...INPUT_FLAGS,
        waypoint: { type: 'string' },
        output: { type: 'string', short: 'o', default: 'yaml' },
        offline: { type: 'boolean', default: false },
      },
      false,
    );
    const files = values.filename ?? [];
    if (files.length === 0) throw new UsageError('-f FILE_OR_DIR is required');
    const format = oneOf('output', values.output, ['yaml', 'json'] as const);
    const loaded = loadManifestFiles(files, values.recursive);
    const world = values.offline ? loaded.world : await withResolvedJwks(loaded.world, DEFAULT_OPTIONS.rootNamespace);
    const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
    const wanted = values.waypoint;
    const waypoints = [...result.waypoints.values()].filter((w) => !wanted || w.key === wanted);
    if (wanted && waypoints.length === 0)
      throw new CommandError(
        `no waypoint ${wanted} in the manifests (found: ${[...result.waypoints.keys()].join(', ') || 'none'})`,
      );
    const validator = new ResourceValidator();
    const rejections = waypoints.flatMap((w) => findRejections(w, validator));
    const doc = {
      waypoints: waypoints.map((w) => ({ waypoint: w.key, ...renderWaypoint(w) })),
      statuses: withRejections(result.statuses, rejections),
      ...(rejections.length > 0 ? { rejected: rejectzJson(rejections) } : {}),
    };
    write(formatted(doc, format));
    const refused = rejections.filter((r) => r.blocking);
    for (const r of rejections.filter((x) => !x.blocking)) process.stderr.write(`warning: ${describeRejection(r)}\n`);
    if (refused.length > 0)
      throw new CommandError(
        `${refused.length} resource(s) Envoy would reject:\n${refused.map((r) => `  ${describeRejection(r)}`).join('\n')}`,
      );
  },
};
