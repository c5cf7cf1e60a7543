import type { SecureContextOptions } from 'node:tls';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { World } from '../model';
import type { Authenticator } from '../xds/auth';
import { CertificateAuthority, loadBundle } from './authority';
import { CaMetrics } from './metrics';
import { NodeAuthorizer } from './node-authorizer';
import { RootConfigMapPublisher } from './root-configmap';
import { directoryRoots, ephemeralRoots, kubeRoots, type LoadedRoots } from './roots';
import { caDefinition, CaService } from './service';
import { certInfo, newKeyAndCsr, splitPem } from './x509';

export interface CaSetupOptions {
  kube?: k8s.KubeConfig;
  /** A plug-in CA laid out as the cacerts Secret; wins over the cluster's Secrets. */
  cacertsDir?: string;
  namespace: string;
  trustDomain: string;
  defaultTtlMs: number;
  maxTtlMs: number;
  /** `namespace/serviceAccount` of node proxies that may ask for their pods' certificates. */
  trustedNodeAccounts: ReadonlySet<string>;
  /** DNS names of the control plane's own serving certificate. */
  servingDnsNames: string[];
  /** How often the roots' source is read again and the serving certificate checked (default 60 s). */
  reloadMs?: number;
  /** Whether this replica holds the leader lease, which alone may create the self-signed root. */
  mayCreateRoot?: () => boolean;
  /** How long a replica waits for the leader to create the root (default 2 min). */
  rootWaitMs?: number;
  log: Logger;
}

/** The CA, the service that exposes it, and what keeps its roots and serving certificate current. */
export class RunningCa {
  private serving?: { chain: string; key: string; notBefore: number; notAfter: number };
  private timer?: NodeJS.Timeout;
  private publisher?: RootConfigMapPublisher;
  private renewNow = false;
  private world?: World;
  readonly nodeAuthorizer: NodeAuthorizer;
  readonly metrics = new CaMetrics();

  private constructor(
    readonly authority: CertificateAuthority,
    private source: string,
    private readonly opts: CaSetupOptions,
  ) {
    this.nodeAuthorizer = new NodeAuthorizer(opts.trustedNodeAccounts);
  }

  static async start(opts: CaSetupOptions): Promise<RunningCa> {
    const roots = await readRoots(opts, true);
    const loaded = await loadBundle(roots.bundle, roots.source);
    const authority = new CertificateAuthority(loaded, { defaultTtlMs: opts.defaultTtlMs, maxTtlMs: opts.maxTtlMs });
    const ca = new RunningCa(authority, roots.source, opts);
    opts.log.info(
      {
        source: roots.source,
        roots: splitPem(authority.rootCerts).length,
        signingCertExpires: new Date(authority.signingCertNotAfter).toISOString(),
      },
      'certificate authority ready',
    );
    ca.recordExpiry();
    await ca.renewServing();
    ca.timer = setInterval(() => void ca.tick(), opts.reloadMs ?? 60_000);
    ca.timer.unref();
    return ca;
  }

  /** The CA's metrics in Prometheus text form. */
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  /** Expiry gauges, as istiod's RecordCertsExpiry sets them (server.go). */
  private recordExpiry(): void {
    const first = splitPem(this.authority.rootCerts)[0];
    if (first) this.metrics.rootExpiry.set(certInfo(first).notAfter / 1000);
    this.metrics.chainExpiry.set(this.authority.signingCertNotAfter / 1000);
  }

  get sourceName(): string {
    return this.source;
  }

  /** The certificate service for a port that authenticates with these authenticators. */
  service(authenticators: readonly Authenticator[]): {
    definition: typeof caDefinition;
    implementation: CaService['implementation'];
  } {
    const svc = new CaService({
      authority: this.authority,
      authenticators,
      nodeAuthorizer: this.opts.trustedNodeAccounts.size > 0 ? this.nodeAuthorizer : undefined,
      log: this.opts.log,
      metrics: this.metrics,
    });
    return { definition: caDefinition, implementation: svc.implementation };
  }

  /**
   * The TLS port's credentials: our own certificate for the Service's DNS
   * names, and the CA's roots (plus any extra bundle) for client certificates.
   */
  tlsSource(files?: () => SecureContextOptions): () => SecureContextOptions {
    return () => {
      const own = this.serving!;
      const extra = files?.();
      const ca = [this.authority.rootCerts, extra?.ca ? String(extra.ca) : ''].join('');
      return extra?.cert ? { cert: extra.cert, key: extra.key, ca } : { cert: own.chain, key: own.key, ca };
    };
  }

  /** Our serving certificate (with its chain below the root) and key, for the webhook port. */
  servingPair(): { cert: string; key: string } {
    return { cert: this.serving!.chain, key: this.serving!.key };
  }

  /** Publishes the roots to every namespace while `isLeader` holds (Kubernetes mode). */
  publishRoots(isLeader: () => boolean): void {
    if (!this.opts.kube || this.publisher) return;
    this.publisher = new RootConfigMapPublisher(this.opts.kube, {
      roots: () => this.authority.rootCerts,
      isLeader,
      log: this.opts.log.child({ component: 'root-configmap' }),
    });
    this.authority.onRootsChanged(() => this.publisher?.kick());
    if (this.world) this.publisher.update(this.world);
    this.publisher.start();
  }

  update(world: World): void {
    this.world = world;
    this.nodeAuthorizer.update(world);
    this.publisher?.update(world);
  }

  /** Kicks the publisher (after a leadership change) and resolves once it is idle. */
  async publishNow(): Promise<void> {
    this.publisher?.kick();
    await this.publisher?.idle();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.publisher?.stop();
  }

  private async tick(): Promise<void> {
    if (this.opts.cacertsDir || this.opts.kube) await this.reload();
    try {
      await this.renewServing();
    } catch (e) {
      this.opts.log.warn({ error: e instanceof Error ? e.message : String(e) }, 'serving certificate renewal failed');
    }
  }

  private async reload(): Promise<void> {
    try {
      const roots = await readRoots(this.opts, false);
      const loaded = await loadBundle(roots.bundle, roots.source);
      const before = this.authority.rootCerts;
      this.authority.replace(loaded);
      this.recordExpiry();
      if (roots.source !== this.source || before !== loaded.bundle.rootCerts) {
        this.opts.log.info(
          { source: roots.source, roots: splitPem(loaded.bundle.rootCerts).length },
          'CA bundle reloaded',
        );
        // A new CA: our own certificate should come from it too.
        this.renewNow = true;
      }
      this.source = roots.source;
    } catch (e) {
      this.opts.log.warn(
        { source: this.source, error: e instanceof Error ? e.message : String(e) },
        'CA bundle could not be reloaded; keeping the current one',
      );
    }
  }

  /** Issues our serving certificate when there is none or half its life has passed. */
  private async renewServing(): Promise<void> {
    const now = Date.now();
    const s = this.serving;
    if (s && !this.renewNow && now < s.notBefore + (s.notAfter - s.notBefore) / 2) return;
    this.renewNow = false;
    const { key, csr } = await newKeyAndCsr();
    const chain = await this.authority.sign(csr, { dnsNames: this.opts.servingDnsNames }, 0);
    // The root is the client's to have; the served chain stops below it.
    const served = chain.slice(0, -1).join('');
    const info = certInfo(chain[0]!);
    this.serving = { chain: served, key, notBefore: info.notBefore, notAfter: info.notAfter };
    this.opts.log.info(
      { dnsNames: this.opts.servingDnsNames, expires: new Date(info.notAfter).toISOString() },
      'serving certificate issued by the CA',
    );
  }
}

async function readRoots(opts: CaSetupOptions, create: boolean): Promise<LoadedRoots> {
  if (opts.cacertsDir) return directoryRoots(opts.cacertsDir);
  if (opts.kube) {
    return kubeRoots(opts.kube, {
      namespace: opts.namespace,
      trustDomain: opts.trustDomain,
      log: opts.log,
      createIfMissing: create,
      mayCreate: opts.mayCreateRoot,
      waitMs: opts.rootWaitMs,
    });
  }
  if (!create) throw new Error('an in-memory root is not reloaded');
  return ephemeralRoots(opts.trustDomain);
}
