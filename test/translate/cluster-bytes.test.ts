// A waypoint's EDS clusters are spliced from bytes encoded once per process
// (cluster-bytes.ts): they must be exactly the bytes protobufjs writes for
// the same cluster as a message, and an unchanged cluster is not encoded again.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeCounts, messageType, TypeUrl } from '../../src/envoy';
import type { World } from '../../src/model';
import { loadManifests } from '../../src/watch/load';
import { DEFAULT_OPTIONS, translateAll, translateWaypoint } from '../../src/translate';
import { buildClusters } from '../../src/translate/waypoint/clusters';
import { edsClusterBytes } from '../../src/translate/waypoint/cluster-bytes';
import {
  http2Options,
  passthroughHttpOptions,
  serviceMetadata,
  waypointInternalUpstream,
} from '../../src/translate/waypoint/cluster-defaults';
import { seconds } from '../../src/translate/common';
import { clusterResources } from '../../src/translate/waypoint/resources';
import { meshWorld } from '../../bench/translate-bench';
import { CASES_DIR, caseNames } from '../golden/harness';

const CDS = messageType('envoy.config.cluster.v3.Cluster');
const reference = (obj: object) => Buffer.from(CDS.encode(CDS.fromObject(obj)).finish());
const opts = { ...DEFAULT_OPTIONS, assumeReady: true };

async function worlds(): Promise<[string, World][]> {
  const out: [string, World][] = [];
  for (const name of caseNames()) {
    const dir = join(CASES_DIR, name);
    const inputs = readdirSync(dir)
      .filter((f) => /^input.*\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
    out.push([name, (await loadManifests(inputs)).world]);
  }
  out.push(['mesh of 200 services', meshWorld(200)]);
  return out;
}

describe('spliced cluster bytes', () => {
  it('equal protobufjs encode(fromObject()) of the same cluster, for every cluster of the golden cases and a mesh', async () => {
    let spliced = 0;
    for (const [name, world] of await worlds()) {
      for (const w of translateAll(world, opts).waypoints.values()) {
        const messages = buildClusters(w.ir);
        const resources = clusterResources(w.ir);
        assert.deepEqual(
          resources.map((r) => r.name),
          messages.map((m) => m.name),
          name,
        );
        resources.forEach((r, i) => {
          assert.equal(r.body.toString('hex'), reference(messages[i] as object).toString('hex'), `${name}: ${r.name}`);
          if (messages[i]?.type === 'EDS') spliced++;
        });
      }
    }
    assert.ok(spliced > 300, `EDS clusters checked: ${spliced}`);
  });

  it('match for each protocol option, long names and names that are not ASCII', () => {
    const metadata = serviceMetadata('reviews.default.svc.cluster.local', 'reviews', 'default');
    const long = `inbound-vip|9080|http|${'x'.repeat(300)}.default.svc.cluster.local`;
    for (const name of ['a', long, 'inbound-vip|80|http|rëviews.default.svc.cluster.local'])
      for (const options of [undefined, http2Options(), passthroughHttpOptions()]) {
        const cluster = {
          name,
          type: 'EDS' as const,
          alt_stat_name: `${name}::stat`,
          eds_cluster_config: {
            service_name: name,
            eds_config: { ads: {}, initial_fetch_timeout: { seconds: 0 }, resource_api_version: 'V3' as const },
          },
          connect_timeout: seconds(10_000),
          lb_policy: 'LEAST_REQUEST' as const,
          common_lb_config: { healthy_panic_threshold: { value: 0 } },
          circuit_breakers: {
            thresholds: [
              {
                max_connections: { value: 4294967295 },
                max_pending_requests: { value: 4294967295 },
                max_requests: { value: 4294967295 },
                max_retries: { value: 4294967295 },
                track_remaining: true,
              },
            ],
          },
          metadata,
          ...(options ? { typed_extension_protocol_options: options } : {}),
          transport_socket: waypointInternalUpstream(),
        };
        const got = edsClusterBytes(
          {
            name,
            altStatName: `${name}::stat`,
            host: 'reviews.default.svc.cluster.local',
            service: 'reviews',
            namespace: 'default',
            ...(options ? { options } : {}),
          },
          () => cluster,
        );
        assert.equal(got.toString('hex'), reference(cluster).toString('hex'), `${name.slice(0, 40)} ${!!options}`);
      }
  });

  it('connect_originate matches for every trust domain and namespace, after the first has fixed its shared parts', () => {
    // cluster_waypoint.go: buildWaypointConnectOriginate — only the SAN
    // prefixes depend on the waypoint; the rest is encoded once per process.
    const world = meshWorld(200);
    let checked = 0;
    for (const trustDomain of ['cluster.local', 'example.com', 'a.much.longer.trust-domain.example.org'.repeat(4)]) {
      for (const w of translateAll(world, { ...opts, trustDomain }).waypoints.values()) {
        const message = buildClusters(w.ir).find((c) => c.name === 'connect_originate');
        const resource = clusterResources(w.ir).find((r) => r.name === 'connect_originate');
        assert.ok(message && resource, w.key);
        assert.equal(
          resource.body.toString('hex'),
          reference(message as object).toString('hex'),
          `${trustDomain} ${w.key}`,
        );
        checked++;
      }
    }
    assert.equal(checked, 6);
  });

  it('an unchanged cluster keeps its encoding when its waypoint is translated again', () => {
    const world = meshWorld(200);
    const first = translateAll(world, opts);
    const index = first.index;
    const count = () => encodeCounts().get(TypeUrl.Cluster) ?? 0;
    const before = count();
    for (const w of first.waypoints.values()) {
      const wp = index.waypoints.get(w.key);
      assert.ok(wp);
      const again = translateWaypoint(world, index, wp, opts, w);
      const prev = w.resources.get(TypeUrl.Cluster) ?? [];
      const next = again.resources.get(TypeUrl.Cluster) ?? [];
      assert.equal(next.length, prev.length);
      next.forEach((r, i) => assert.equal(r, prev[i], `${w.key} ${r.name} re-encoded`));
    }
    assert.equal(count(), before, 'clusters encoded by the second translation');
  });
});
