// A Kubernetes-API-compatible HTTP server for tests: discovery, CRUD with
// resourceVersions, list+watch (bookmarks, 410 Gone), selectors, the patch
// types kubectl and client-node send, server-side apply, dryRun, TokenReview.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { applyPatch, jsonPatch, mergePatch, strategicMerge } from './patch';
import { defaultResources, groupVersion, r, type ApiResource } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { Store, type Obj } from './store';

export interface TokenReviewResult {
  authenticated: boolean;
  user?: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

export interface KubeServerOptions {
  /** Start with the Gateway API and Istio kinds absent, as if their CRDs were not installed. */
  withoutCrds?: boolean;
  /** Serve these kinds only at the listed versions (an older or newer CRD than ours). */
  servedVersions?: Record<string, string[]>;
  historyLimit?: number;
  tokenReview?: (token: string, audiences: string[]) => TokenReviewResult;
}

const SHORT_NAMES: Record<string, string[]> = {
  Namespace: ['ns'],
  Service: ['svc'],
  Pod: ['po'],
  Deployment: ['deploy'],
  ServiceAccount: ['sa'],
  ConfigMap: ['cm'],
  Endpoints: ['ep'],
  Gateway: ['gtw'],
  CustomResourceDefinition: ['crd', 'crds'],
  ServiceEntry: ['se'],
  DestinationRule: ['dr'],
  VirtualService: ['vs'],
  PeerAuthentication: ['pa'],
  WorkloadEntry: ['we'],
};

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (d: Buffer) => (s += d.toString()));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export class KubeServer {
  readonly store: Store;
  private readonly resources: ApiResource[];
  private readonly installed = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  private pausedUntil = 0;
  private server?: Server;
  port = 0;
  /** Every request as "METHOD path", for tests that check what a client did. */
  readonly requests: string[] = [];
  /** The same, with the client's User-Agent, to tell who made each call. */
  readonly calls: { method: string; url: string; agent: string; contentType: string }[] = [];

  constructor(private readonly opts: KubeServerOptions = {}) {
    this.store = new Store(opts.historyLimit);
    const only = opts.servedVersions ?? {};
    this.resources = defaultResources().filter((r) => !only[r.kind] || only[r.kind]!.includes(r.version));
    for (const r of this.resources) if (!opts.withoutCrds || !r.crd) this.installed.add(`${r.group}/${r.kind}`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Simulates an API server restart: every open connection drops and requests fail for `ms`. */
  restart(ms = 500): void {
    this.pausedUntil = Date.now() + ms;
    for (const w of this.watches) w.destroy();
    for (const s of this.sockets) s.destroy();
  }

  /** Forgets watch history: resuming an older watch now gets 410 Gone. */
  compact(): void {
    this.store.compact();
    for (const w of this.watches) w.end();
  }

  /** A kubeconfig for this server (token user; kubectl and client-node both accept it). */
  writeKubeconfig(dir: string): string {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'test', user: { token: 'test-token' } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
        'current-context': 'test',
      }),
    );
    return path;
  }

  resource(group: string, version: string, plural: string): ApiResource | undefined {
    return this.resources.find(
      (r) =>
        r.group === group && r.version === version && r.plural === plural && this.installed.has(`${r.group}/${r.kind}`),
    );
  }

  resourceForKind(apiVersion: string, kind: string): ApiResource | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return this.resources.find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  /** Test helper: stores an object directly (creating or replacing it). */
  put(obj: Obj): Obj {
    const res = this.resourceForKind(String(obj.apiVersion), String(obj.kind));
    if (!res) throw new Error(`unknown kind ${String(obj.apiVersion)} ${String(obj.kind)}`);
    return this.store.put(Store.gk(res), obj);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const res = this.resourceForKind(apiVersion, kind);
    return res && this.store.get(Store.gk(res), namespace, name);
  }

  private served(): ApiResource[] {
    return this.resources.filter((r) => this.installed.has(`${r.group}/${r.kind}`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    this.calls.push({
      method: req.method ?? '',
      url: `${url.pathname}${url.search}`,
      agent: String(req.headers['user-agent'] ?? ''),
      contentType: String(req.headers['content-type'] ?? ''),
    });
    if (Date.now() < this.pausedUntil) return status(res, 503, 'ServiceUnavailable', 'restarting');
    try {
      await this.route(req, res, url);
    } catch (e) {
      if (e instanceof HttpError) status(res, e.code, e.reason, e.message);
      else status(res, 500, 'InternalError', e instanceof Error ? e.message : String(e));
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname.replace(/\/+$/, '');
    if (p === '/version')
      return json(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-istiod-lite-test',
        platform: 'linux/amd64',
      });
    if (p === '/healthz' || p === '/readyz' || p === '/livez') return void res.end('ok');
    if (p === '/api')
      return json(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }],
      });
    if (p === '/apis') return json(res, 200, this.groupList());
    if (p === '/openapi/v3') return json(res, 200, this.openapiIndex());
    if (p.startsWith('/openapi/v3/')) return json(res, 200, this.openapiDoc(p.slice('/openapi/v3/'.length)));
    if (p.startsWith('/openapi/v2'))
      return json(res, 200, { swagger: '2.0', info: { title: 'test', version: 'v1' }, paths: {}, definitions: {} });
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/(.*))?$/.exec(p);
    if (!m) throw new HttpError(404, 'NotFound', `no route for ${p}`);
    const group = m[2] ?? '';
    const version = m[1] ?? m[3] ?? '';
    const rest = m[4] ? m[4].split('/') : [];
    if (rest.length === 0) return json(res, 200, this.resourceList(group, version));
    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ns = rest[1];
      rest.splice(0, 2);
    }
    const [plural = '', name, sub] = rest;
    const r = this.resource(group, version, plural);
    if (!r)
      throw new HttpError(
        404,
        'NotFound',
        `the server could not find the requested resource (${group}/${version} ${plural})`,
      );
    if (!r.namespaced) ns = undefined;
    const body = req.method === 'GET' ? '' : await readBody(req);
    // kubectl sends dryRun as a query parameter on writes, and inside the
    // DeleteOptions body on deletes.
    let dryRun = url.searchParams.get('dryRun') === 'All';
    if (req.method === 'DELETE' && body.trim()) {
      try {
        dryRun ||= ((JSON.parse(body) as { dryRun?: string[] }).dryRun ?? []).includes('All');
      } catch {
        throw new HttpError(400, 'BadRequest', 'DeleteOptions body is not JSON');
      }
    }
    switch (req.method) {
      case 'GET':
        if (!name)
          return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
            ? this.watch(r, ns, url, res)
            : this.list(r, ns, url, res);
        return json(res, 200, this.read(r, ns, name));
      case 'POST': {
        if (r.kind === 'TokenReview') return json(res, 201, this.tokenReview(JSON.parse(body) as Obj));
        if (r.kind === 'SubjectAccessReview') return json(res, 201, this.accessReview(JSON.parse(body) as Obj));
        const obj = this.parse(body, req);
        await this.admit(r, 'CREATE', () => this.create(r, ns, obj, true), undefined, dryRun);
        return json(res, 201, this.create(r, ns, obj, dryRun));
      }
      case 'PUT': {
        const obj = this.parse(body, req);
        if (sub !== 'status')
          await this.admit(
            r,
            'UPDATE',
            () => this.update(r, ns, name ?? '', obj, false, true),
            this.store.get(Store.gk(r), ns, name ?? ''),
            dryRun,
          );
        return json(res, 200, this.update(r, ns, name ?? '', obj, sub === 'status', dryRun));
      }
      case 'PATCH': {
        const prev = this.store.get(Store.gk(r), ns, name ?? '');
        if (sub !== 'status')
          await this.admit(
            r,
            prev ? 'UPDATE' : 'CREATE',
            () => this.patch(r, ns, name ?? '', body, req, url, false, true)[1],
            prev,
            dryRun,
          );
        const [code, out] = this.patch(r, ns, name ?? '', body, req, url, sub === 'status', dryRun);
        return json(res, code, out);
      }
      case 'DELETE':
        if (!name) {
          for (const o of this.store.list(Store.gk(r), ns))
            this.store.delete(Store.gk(r), o.metadata.namespace, o.metadata.name, dryRun);
          return json(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
        }
        return json(res, 200, this.remove(r, ns, name, dryRun));
      default:
        throw new HttpError(405, 'MethodNotAllowed', `${req.method} not allowed`);
    }
  }

  private parse(body: string, req: IncomingMessage): Obj {
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('protobuf'))
      throw new HttpError(415, 'UnsupportedMediaType', 'this test server speaks JSON and YAML only');
    try {
      return (type.includes('yaml') ? YAML.parse(body) : JSON.parse(body)) as Obj;
    } catch (e) {
      throw new HttpError(400, 'BadRequest', `cannot decode body: ${String(e)}`);
    }
  }

  private groupList() {
    const groups = new Map<string, string[]>();
    for (const r of this.served()) {
      if (!r.group) continue;
      const l = groups.get(r.group) ?? [];
      if (!l.includes(r.version)) l.push(r.version);
      groups.set(r.group, l);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  // kubectl validates against OpenAPI v3 documents per group-version; schemas
  // that keep unknown fields accept any object of the kind.
  private openapiIndex() {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const r of this.served()) {
      const gv = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.installed.size}` };
    }
    return { paths };
  }

  private openapiDoc(gv: string) {
    const [kindOfPath, a, b] = gv.split('/');
    const group = kindOfPath === 'api' ? '' : (a ?? '');
    const version = kindOfPath === 'api' ? (a ?? '') : (b ?? '');
    const schemas: Record<string, unknown> = {};
    const paths: Record<string, unknown> = {};
    // kubectl looks for the fieldValidation parameter on the write operations
    // of a kind before it trusts the server to validate (and skips its own).
    const op = (r: ApiResource) => ({
      'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
      parameters: [
        { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
        { name: 'dryRun', in: 'query', schema: { type: 'string' } },
      ],
      responses: { '200': { description: 'OK' } },
    });
    for (const r of this.served().filter((x) => x.group === group && x.version === version)) {
      const base = `/${gv}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
      paths[base] = { post: op(r), get: op(r) };
      paths[`${base}/{name}`] = { patch: op(r), put: op(r), get: op(r), delete: op(r) };
      schemas[`${r.group || 'core'}.${r.version}.${r.kind}`] = {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.kind }],
      };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'istiod-lite test server', version: 'v1' },
      paths,
      components: { schemas },
    };
  }

  private resourceList(group: string, version: string) {
    const rs = this.served().filter((r) => r.group === group && r.version === version);
    if (rs.length === 0) throw new HttpError(404, 'NotFound', `group version ${group}/${version} not served`);
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: rs.flatMap((r) => [
        {
          name: r.plural,
          singularName: r.kind.toLowerCase(),
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: r.verbs,
          shortNames: SHORT_NAMES[r.kind] ?? [],
        },
        ...(r.status
          ? [
              {
                name: `${r.plural}/status`,
                singularName: '',
                namespaced: r.namespaced,
                kind: r.kind,
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : []),
      ]),
    };
  }

  private withVersion(r: ApiResource, o: Obj): Obj {
    return { ...o, apiVersion: groupVersion(r), kind: r.kind };
  }

  private read(r: ApiResource, ns: string | undefined, name: string): Obj {
    const o = this.store.get(Store.gk(r), ns, name);
    if (!o) throw new HttpError(404, 'NotFound', `${r.plural} "${name}" not found`);
    return this.withVersion(r, o);
  }

  private list(r: ApiResource, ns: string | undefined, url: URL, res: ServerResponse): void {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    const items = this.store
      .list(Store.gk(r), ns)
      .filter((o) => labels(o.metadata.labels ?? {}) && fields(o.metadata))
      .map((o) => this.withVersion(r, o));
    json(res, 200, {
      kind: `${r.kind}List`,
      apiVersion: groupVersion(r),
      metadata: { resourceVersion: String(this.store.currentRv) },
      items,
    });
  }

  private watch(r: ApiResource, ns: string | undefined, url: URL, res: ServerResponse): void {
    const gk = Store.gk(r);
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    const matches = (o: Obj) =>
      (ns === undefined || o.metadata.namespace === ns) && labels(o.metadata.labels ?? {}) && fields(o.metadata);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');
    const rvParam = url.searchParams.get('resourceVersion');
    if (rvParam && rvParam !== '0') {
      const events = this.store.since(Number(rvParam));
      if (!events) {
        send('ERROR', {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: `too old resource version: ${rvParam} (${this.store.oldestRv})`,
          reason: 'Expired',
          code: 410,
        });
        res.end();
        return;
      }
      for (const e of events) if (e.gk === gk && matches(e.obj)) send(e.type, this.withVersion(r, e.obj));
    } else {
      for (const o of this.store.list(gk, ns)) if (matches(o)) send('ADDED', this.withVersion(r, o));
    }
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    const bookmark = () =>
      send('BOOKMARK', {
        kind: r.kind,
        apiVersion: groupVersion(r),
        metadata: { resourceVersion: String(this.store.currentRv) },
      });
    if (bookmarks) bookmark();
    const unsubscribe = this.store.subscribe((e) => {
      if (e.gk === gk && matches(e.obj)) send(e.type, this.withVersion(r, e.obj));
    });
    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) timers.push(setInterval(bookmark, 1000));
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    this.watches.add(res);
    res.on('close', () => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.watches.delete(res);
    });
  }

  private prepare(r: ApiResource, ns: string | undefined, obj: Obj): Obj {
    if (!obj.metadata) throw new HttpError(400, 'BadRequest', 'metadata is required');
    if (!obj.metadata.name && typeof obj.metadata.generateName === 'string') {
      obj.metadata.name = `${obj.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    }
    if (!obj.metadata.name) throw new HttpError(422, 'Invalid', 'metadata.name: Required value');
    if (r.namespaced) obj.metadata.namespace = ns ?? obj.metadata.namespace ?? 'default';
    else delete obj.metadata.namespace;
    return this.withVersion(r, obj);
  }

  private nextClusterIp = 1;
  private reviews = 0;

  private create(r: ApiResource, ns: string | undefined, obj: Obj, dryRun: boolean): Obj {
    const o = this.prepare(r, ns, obj);
    this.allocate(o);
    if (this.store.get(Store.gk(r), o.metadata.namespace, o.metadata.name)) {
      throw new HttpError(409, 'AlreadyExists', `${r.plural} "${o.metadata.name}" already exists`);
    }
    const stored = this.store.put(Store.gk(r), o, dryRun);
    if (r.kind === 'CustomResourceDefinition' && !dryRun) this.installCrd(stored);
    return this.withVersion(r, stored);
  }

  private update(
    r: ApiResource,
    ns: string | undefined,
    name: string,
    obj: Obj,
    statusOnly: boolean,
    dryRun: boolean,
  ): Obj {
    const prev = this.store.get(Store.gk(r), ns, name);
    if (!prev) throw new HttpError(404, 'NotFound', `${r.plural} "${name}" not found`);
    if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== prev.metadata.resourceVersion) {
      throw new HttpError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return this.write(
      r,
      prev,
      this.prepare(r, ns, { ...obj, metadata: { ...obj.metadata, name } }),
      statusOnly,
      dryRun,
    );
  }

  /** Like the real API server, a Service without a ClusterIP gets one. */
  private allocate(o: Obj): void {
    if (o.kind !== 'Service') return;
    const spec = (o.spec ??= {}) as { clusterIP?: string; type?: string };
    if (!spec.clusterIP && spec.type !== 'ExternalName') {
      const n = this.nextClusterIp++;
      spec.clusterIP = `10.96.${200 + Math.floor(n / 250)}.${(n % 250) + 1}`;
    }
  }

  /** Status writes touch only status; main writes keep status for kinds with the subresource. */
  private write(r: ApiResource, prev: Obj, next: Obj, statusOnly: boolean, dryRun: boolean): Obj {
    let merged = next;
    if (statusOnly) merged = { ...prev, status: next.status };
    else if (r.status && prev.status !== undefined) merged = { ...next, status: prev.status };
    return this.withVersion(r, this.store.put(Store.gk(r), merged, dryRun));
  }

  private patch(
    r: ApiResource,
    ns: string | undefined,
    name: string,
    body: string,
    req: IncomingMessage,
    url: URL,
    statusOnly: boolean,
    dryRun: boolean,
  ): [number, Obj] {
    const type = String(req.headers['content-type'] ?? '').split(';')[0];
    const prev = this.store.get(Store.gk(r), ns, name);
    let patchBody: unknown;
    try {
      patchBody = type === 'application/apply-patch+yaml' ? YAML.parse(body) : JSON.parse(body);
    } catch (e) {
      throw new HttpError(400, 'BadRequest', `cannot decode patch: ${String(e)}`);
    }
    if (!prev) {
      if (type !== 'application/apply-patch+yaml')
        throw new HttpError(404, 'NotFound', `${r.plural} "${name}" not found`);
      const created = this.prepare(r, ns, {
        ...(patchBody as Obj),
        metadata: { ...(patchBody as Obj).metadata, name },
      });
      this.allocate(created);
      this.managedBy(created, url);
      const stored = this.store.put(Store.gk(r), created, dryRun);
      return [201, this.withVersion(r, stored)];
    }
    let next: unknown;
    try {
      if (type === 'application/merge-patch+json') next = mergePatch(prev, patchBody);
      else if (type === 'application/json-patch+json') next = jsonPatch(prev, patchBody);
      else if (type === 'application/strategic-merge-patch+json') next = strategicMerge(prev, patchBody);
      else if (type === 'application/apply-patch+yaml') next = applyPatch(prev, patchBody);
      else throw new HttpError(415, 'UnsupportedMediaType', `unsupported patch type ${type}`);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw new HttpError(422, 'Invalid', `patch failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const obj = this.prepare(r, ns, { ...(next as Obj), metadata: { ...(next as Obj).metadata, name } });
    if (type === 'application/apply-patch+yaml') this.managedBy(obj, url);
    return [200, this.write(r, prev, obj, statusOnly, dryRun)];
  }

  /**
   * Calls the validating webhooks whose rules match, as the API server's
   * admission chain does: an AdmissionReview v1 over HTTPS to clientConfig.url
   * (trusting clientConfig.caBundle); a denial fails the write with the
   * webhook's message; a webhook that cannot be reached fails it only under
   * failurePolicy Fail. `candidate` is the object as it would be stored.
   */
  private async admit(
    r: ApiResource,
    operation: 'CREATE' | 'UPDATE',
    candidate: () => Obj,
    old: Obj | undefined,
    dryRun: boolean,
  ): Promise<void> {
    const hooks = this.store
      .list('admissionregistration.k8s.io/ValidatingWebhookConfiguration', undefined)
      .flatMap((c) => ((c as { webhooks?: Webhook[] }).webhooks ?? []).filter((h) => webhookMatches(h, r, operation)));
    if (hooks.length === 0) return;
    const object = candidate();
    for (const h of hooks) {
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `review-${++this.reviews}`,
          kind: { group: r.group, version: r.version, kind: r.kind },
          resource: { group: r.group, version: r.version, resource: r.plural },
          name: object.metadata.name,
          namespace: object.metadata.namespace,
          operation,
          object,
          oldObject: old ?? null,
          dryRun,
          userInfo: { username: 'test' },
        },
      };
      let answer: { response?: { allowed?: boolean; status?: { code?: number; message?: string } } };
      try {
        answer = (await postJson(
          h.clientConfig?.url ?? '',
          h.clientConfig?.caBundle,
          review,
          (h.timeoutSeconds ?? 10) * 1000,
        )) as typeof answer;
      } catch (e) {
        if (h.failurePolicy === 'Ignore') continue;
        throw new HttpError(
          500,
          'InternalError',
          `Internal error occurred: failed calling webhook "${h.name}": ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      if (answer.response?.allowed === true) continue;
      const st = answer.response?.status;
      throw new HttpError(
        st?.code ?? 400,
        'BadRequest',
        `admission webhook "${h.name}" denied the request: ${st?.message ?? 'without explanation'}`,
      );
    }
  }

  private managedBy(o: Obj, url: URL): void {
    const manager = url.searchParams.get('fieldManager') ?? 'unknown';
    const fields = (o.metadata.managedFields as { manager: string }[] | undefined) ?? [];
    if (!fields.some((f) => f.manager === manager)) {
      fields.push({
        manager,
        operation: 'Apply',
        apiVersion: String(o.apiVersion),
        time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      } as never);
    }
    o.metadata.managedFields = fields;
  }

  private remove(r: ApiResource, ns: string | undefined, name: string, dryRun: boolean): Obj {
    const gone = this.store.delete(Store.gk(r), ns, name, dryRun);
    if (!gone) throw new HttpError(404, 'NotFound', `${r.plural} "${name}" not found`);
    if (r.kind === 'CustomResourceDefinition' && !dryRun) this.uninstallCrd(gone);
    return this.withVersion(r, gone);
  }

  private crdKinds(crd: Obj): string[] {
    const spec = crd.spec as { group?: string; names?: { kind?: string } } | undefined;
    return [`${spec?.group ?? ''}/${spec?.names?.kind ?? ''}`];
  }

  private installCrd(crd: Obj): void {
    // A CRD of a kind we do not know yet (say, cert-manager's) is served from now on, at its served versions.
    const spec = crd.spec as
      | {
          group?: string;
          scope?: string;
          names?: { kind?: string; plural?: string };
          versions?: { name: string; served?: boolean; subresources?: { status?: unknown } }[];
        }
      | undefined;
    for (const v of spec?.versions ?? []) {
      const { group = '', names = {} } = spec ?? {};
      if (
        !v.served ||
        !names.kind ||
        !names.plural ||
        this.resourceForKind(group ? `${group}/${v.name}` : v.name, names.kind)
      )
        continue;
      this.resources.push(
        r(group, v.name, names.kind, names.plural, spec?.scope !== 'Cluster', Boolean(v.subresources?.status), true),
      );
    }
    for (const gk of this.crdKinds(crd)) this.installed.add(gk);
  }

  private uninstallCrd(crd: Obj): void {
    for (const gk of this.crdKinds(crd)) this.installed.delete(gk);
  }

  /**
   * A SubjectAccessReview for a resource, answered from the stored RBAC
   * objects: RoleBindings in the namespace and ClusterRoleBindings whose
   * subjects name the user (or its service account), and the rules of the
   * Roles and ClusterRoles they bind.
   */
  private accessReview(review: Obj): Obj {
    type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[] };
    type Binding = {
      roleRef?: { kind?: string; name?: string };
      subjects?: { kind?: string; name?: string; namespace?: string }[];
    };
    const spec = (review.spec ?? {}) as {
      user?: string;
      resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string };
    };
    const attrs = spec.resourceAttributes ?? {};
    const user = spec.user ?? '';
    const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(user);
    const names = (b: Binding) =>
      (b.subjects ?? []).some((s) =>
        s.kind === 'ServiceAccount'
          ? sa !== null && s.namespace === sa[1] && s.name === sa[2]
          : s.kind === 'User' && s.name === user,
      );
    const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);
    const allows = (rules: Rule[] | undefined) =>
      (rules ?? []).some(
        (rule) =>
          has(rule.apiGroups, attrs.group ?? '') &&
          has(rule.resources, attrs.resource ?? '') &&
          has(rule.verbs, attrs.verb ?? ''),
      );
    const RBAC = 'rbac.authorization.k8s.io';
    const roleOf = (b: Binding, ns: string | undefined) =>
      b.roleRef?.kind === 'ClusterRole'
        ? this.store.get(`${RBAC}/ClusterRole`, undefined, b.roleRef.name ?? '')
        : this.store.get(`${RBAC}/Role`, ns, b.roleRef?.name ?? '');
    const bindings: [Binding, string | undefined][] = [
      ...(attrs.namespace
        ? this.store
            .list(`${RBAC}/RoleBinding`, attrs.namespace)
            .map((b): [Binding, string | undefined] => [b as Binding, attrs.namespace])
        : []),
      ...this.store
        .list(`${RBAC}/ClusterRoleBinding`)
        .map((b): [Binding, string | undefined] => [b as Binding, undefined]),
    ];
    const allowed = bindings.some(([b, ns]) => names(b) && allows(roleOf(b, ns)?.rules as Rule[] | undefined));
    return {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: { name: '' },
      spec,
      status: allowed ? { allowed: true, reason: 'allowed by a stored binding' } : { allowed: false },
    };
  }

  private tokenReview(review: Obj): Obj {
    const spec = (review.spec ?? {}) as { token?: string; audiences?: string[] };
    const result = this.opts.tokenReview?.(spec.token ?? '', spec.audiences ?? []) ?? {
      authenticated: false,
      error: 'no authenticator configured',
    };
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { name: '' },
      spec,
      status: result,
    };
  }
}

export async function startKubeServer(opts: KubeServerOptions = {}): Promise<KubeServer> {
  return new KubeServer(opts).start();
}

interface Webhook {
  name: string;
  failurePolicy?: string;
  timeoutSeconds?: number;
  clientConfig?: { url?: string; caBundle?: string };
  rules?: { operations?: string[]; apiGroups?: string[]; apiVersions?: string[]; resources?: string[] }[];
}

const anyOf = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);

function webhookMatches(h: Webhook, r: ApiResource, operation: string): boolean {
  return (h.rules ?? []).some(
    (rule) =>
      anyOf(rule.operations, operation) &&
      anyOf(rule.apiGroups, r.group) &&
      anyOf(rule.apiVersions, r.version) &&
      anyOf(rule.resources, r.plural),
  );
}

function postJson(url: string, caBundle: string | undefined, body: unknown, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') return reject(new Error(`webhook URL ${url} is not https`));
    const req = httpsRequest(
      u,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ca: caBundle ? Buffer.from(caBundle, 'base64') : undefined,
        servername: u.hostname === '127.0.0.1' ? 'localhost' : u.hostname,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          if ((res.statusCode ?? 500) !== 200)
            return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error('webhook answered with something other than JSON'));
          }
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
