// Keeps the ValidatingWebhookConfiguration pointing at our webhook usable, as
// istiod's webhook controller does (`pkg/webhooks/validation/controller/
// controller.go: updateValidatingWebhookConfiguration`): every webhook in it
// carries the CA bundle that signs our serving certificate, re-read from its
// file and patched whenever it differs; the configuration ships with
// failurePolicy Ignore and is switched to Fail only once a dry-run create of
// a known-invalid object is refused (`readyForFailClose`), so a webhook that
// never came up cannot block every write to the cluster.
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { callOptions, MERGE_PATCH, k8sLib } from './kube-api';

export const DEFAULT_WEBHOOK_CONFIG = 'istiod-lite-validator';

interface WebhookEntry {
  name: string;
  failurePolicy?: string;
  clientConfig?: { caBundle?: string };
}

interface Vwc {
  metadata: { name: string; resourceVersion?: string };
  webhooks?: WebhookEntry[];
}

export interface WebhookConfigOptions {
  name: string;
  caFile: string;
  /** The CA bundle PEM, when it comes from our own CA rather than a file (caFile is then only a label). */
  caBundle?: () => string;
  /** Namespace for the dry-run probe object. */
  namespace: string;
  intervalMs: number;
}

export class WebhookConfigController {
  private timer?: NodeJS.Timeout;
  private provenReject = false;
  private running?: Promise<void>;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly log: Logger,
    private readonly opts: WebhookConfigOptions,
  ) {}

  start(): void {
    void this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; concurrent calls share it. Resolves when done (errors are logged). */
  reconcile(): Promise<void> {
    this.running ??= this.once()
      .catch((e: unknown) =>
        this.log.warn({ error: e instanceof Error ? e.message : String(e) }, 'webhook configuration not updated'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async once(): Promise<void> {
    let current: Vwc;
    try {
      current = (await this.kc
        .makeApiClient(k8sLib().AdmissionregistrationV1Api)
        .readValidatingWebhookConfiguration({ name: this.opts.name }, callOptions())) as Vwc;
    } catch (e) {
      if ((e as { code?: number }).code === 404) {
        this.log.debug({ name: this.opts.name }, 'no ValidatingWebhookConfiguration; nothing to keep current');
        return;
      }
      throw e;
    }
    const caBundle = (this.opts.caBundle ? Buffer.from(this.opts.caBundle()) : readFileSync(this.opts.caFile)).toString(
      'base64',
    );
    const hooks = current.webhooks ?? [];
    const caStale = hooks.some((h) => h.clientConfig?.caBundle !== caBundle);
    const ignoring = hooks.some((h) => h.failurePolicy !== 'Fail');
    if (!caStale && !ignoring) return;
    // The probe goes through the API server, so it needs the new bundle in place first.
    if (caStale) await this.patch(current, hooks, caBundle, false);
    const failClose = ignoring && (await this.readyForFailClose());
    if (failClose) await this.patch(current, hooks, caBundle, true);
  }

  private async patch(current: Vwc, hooks: WebhookEntry[], caBundle: string, failClose: boolean): Promise<void> {
    // A JSON merge patch replaces lists whole: send every webhook, changed.
    const webhooks = hooks.map((h) => ({
      ...h,
      clientConfig: { ...h.clientConfig, caBundle },
      ...(failClose ? { failurePolicy: 'Fail' } : {}),
    }));
    await this.kc
      .makeApiClient(k8sLib().AdmissionregistrationV1Api)
      .patchValidatingWebhookConfiguration(
        { name: current.metadata.name, body: { webhooks } },
        callOptions(MERGE_PATCH),
      );
    hooks.splice(0, hooks.length, ...webhooks);
    this.log.info({ name: current.metadata.name, failClose }, 'webhook configuration updated');
  }

  /** A dry-run create of an AuthorizationPolicy our webhook must refuse; Fail only once it is refused. */
  private async readyForFailClose(): Promise<boolean> {
    if (this.provenReject) return true;
    const probe = {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'istiod-lite-webhook-probe', namespace: this.opts.namespace },
      spec: { action: 'DENY' },
    };
    try {
      await this.kc.makeApiClient(k8sLib().CustomObjectsApi).createNamespacedCustomObject(
        {
          group: 'security.istio.io',
          version: 'v1',
          namespace: this.opts.namespace,
          plural: 'authorizationpolicies',
          body: probe,
          dryRun: 'All',
        },
        callOptions(),
      );
      this.log.info('invalid probe object was not refused yet; failurePolicy stays Ignore');
      return false;
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.provenReject = text.includes('denied the request');
      if (!this.provenReject)
        this.log.info({ error: text }, 'probe refused for another reason; failurePolicy stays Ignore');
      return this.provenReject;
    }
  }
}
