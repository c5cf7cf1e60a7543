// W5's churn as a user of `serve --config-dir` makes it: a tool that owns the
// manifest directory writes a namespace's file again with one object changed
// (a pod rescheduled, a canary weight shifted, a namespace relabelled). The
// file is written beside itself and renamed over the old one, so the server
// never reads half a file. Only the changed documents are serialised again;
// the rest keep their text, so the file differs from the last one in exactly
// the changed documents, as a tool's output would. Each edit takes `avoid`,
// namespaces not to touch (those already edited in the same second), so each
// edit's pushes are its own.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { meshByNamespace, namespaceText } from './dir-bench';
import { nsName, rng, svcName, type Manifest } from './mesh';

export type ChurnKind = 'podMove' | 'routeEdit' | 'relabel';

export interface ChurnEdit {
  kind: ChurnKind;
  namespace: string;
  /** `ns/name` of the waypoint whose proxies the edit reaches (the namespace's waypoint). */
  waypoint: string;
  /** What was changed, for the report: `Pod ns/name`, `HTTPRoute ns/name`, `Namespace name`. */
  objects: string[];
  /** When the new file took the old one's place (Date.now() after the rename). */
  at: number;
}

interface NsFile {
  path: string;
  objects: Manifest[];
  docs: string[];
  /** `Kind/name` → position in the file. */
  at: Map<string, number>;
}

interface EndpointEntry {
  addresses: string[];
  targetRef?: { name?: string };
}

export class ChurnFiles {
  private readonly random: () => number;
  private readonly files = new Map<string, NsFile>();
  private moves = 0;
  private epoch = 0;

  /**
   * `dir` must hold what writeMeshDir(services) wrote; the generator is
   * deterministic, so the objects are made again rather than parsed back.
   */
  constructor(
    readonly dir: string,
    private readonly services: number,
    seed = 7,
  ) {
    this.random = rng(seed);
    for (const [ns, objects] of meshByNamespace(services)) {
      const at = new Map(objects.map((o, i) => [`${o.kind}/${o.metadata.name}`, i] as const));
      this.files.set(ns, {
        path: join(dir, 'namespaces', `${ns}.yaml`),
        objects,
        docs: objects.map((o) => YAML.stringify(o)),
        at,
      });
    }
  }

  /** The text the namespace's file holds now. */
  text(ns: string): string {
    return namespaceText(this.file(ns).docs);
  }

  /** A pod rescheduled: a new node and IP, and its EndpointSlice entry follows. */
  podMove(avoid: readonly string[] = []): ChurnEdit {
    const { ns, svc } = this.pick(avoid);
    const pod = `${svc}-${Math.floor(this.random() * 5)}`;
    const n = ++this.moves;
    const ip = `10.251.${(n >> 8) & 255}.${n & 255}`;
    const f = this.file(ns);
    this.edit(f, 'Pod', pod, (o) => {
      const spec = o.spec as Record<string, unknown>;
      const status = o.status as Record<string, unknown>;
      spec.nodeName = `node-${n % 10}`;
      status.podIP = ip;
      status.podIPs = [{ ip }];
    });
    this.edit(f, 'EndpointSlice', `${svc}-abc12`, (o) => {
      for (const e of o.endpoints as EndpointEntry[]) if (e.targetRef?.name === pod) e.addresses = [ip];
    });
    return this.made(this.write(f), 'podMove', ns, [`Pod ${ns}/${pod}`, `EndpointSlice ${ns}/${svc}-abc12`]);
  }

  /** A canary weight shift on one route's weighted (last) rule. */
  routeEdit(avoid: readonly string[] = []): ChurnEdit {
    const { ns, svc } = this.pick(avoid);
    const w = 50 + Math.floor(this.random() * 50);
    const f = this.file(ns);
    this.edit(f, 'HTTPRoute', svc, (o) => {
      const rules = (o.spec as { rules: { backendRefs?: { weight?: number }[] }[] }).rules;
      const last = rules[rules.length - 1];
      last?.backendRefs?.forEach((b, j) => (b.weight = j === 0 ? w : 100 - w));
    });
    return this.made(this.write(f), 'routeEdit', ns, [`HTTPRoute ${ns}/${svc}`]);
  }

  /** A label nothing routes on, as most relabels are; it still reaches every binding in the namespace. */
  relabel(avoid: readonly string[] = []): ChurnEdit {
    const { ns } = this.pick(avoid);
    const f = this.file(ns);
    const epoch = String(++this.epoch);
    this.edit(f, 'Namespace', ns, (o) => {
      o.metadata.labels = { ...o.metadata.labels, 'bench.istiod-lite/epoch': epoch };
    });
    return this.made(this.write(f), 'relabel', ns, [`Namespace ${ns}`]);
  }

  private made(at: number, kind: ChurnKind, ns: string, objects: string[]): ChurnEdit {
    return { kind, namespace: ns, waypoint: `${ns}/waypoint`, objects, at };
  }

  /** A random service, outside the namespaces in `avoid` while there are others to pick. */
  private pick(avoid: readonly string[]): { ns: string; svc: string } {
    for (let tries = 0; ; tries++) {
      const s = Math.floor(this.random() * this.services);
      const ns = nsName(Math.floor(s / 100));
      if (!avoid.includes(ns) || tries >= 100) return { ns, svc: svcName(s) };
    }
  }

  private file(ns: string): NsFile {
    const f = this.files.get(ns);
    if (!f) throw new Error(`churn: no file for namespace ${ns}`);
    return f;
  }

  /** Replaces one object with an edited copy and serialises that document again. */
  private edit(f: NsFile, kind: string, name: string, change: (o: Manifest) => void): void {
    const i = f.at.get(`${kind}/${name}`);
    if (i === undefined) throw new Error(`churn: ${kind} ${name} is not in ${f.path}`);
    const copy = structuredClone(f.objects[i]!);
    change(copy);
    f.objects[i] = copy;
    f.docs[i] = YAML.stringify(copy);
  }

  /** Written beside the file under a name serve does not read, then renamed over it; returns when. */
  private write(f: NsFile): number {
    const tmp = `${f.path}.tmp`;
    writeFileSync(tmp, namespaceText(f.docs));
    renameSync(tmp, f.path);
    return Date.now();
  }
}
