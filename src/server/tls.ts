import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

function load(files: TlsFiles): SecureContextOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ca: files.caFile ? readFileSync(files.caFile) : undefined,
  };
}

function same(a: SecureContextOptions, b: SecureContextOptions): boolean {
  const eq = (x: unknown, y: unknown) => x === y || (Buffer.isBuffer(x) && Buffer.isBuffer(y) && x.equals(y));
  return eq(a.cert, b.cert) && eq(a.key, b.key) && eq(a.ca, b.ca);
}

/**
 * Server credentials read from PEM files and re-read while a port uses them,
 * so a rotated certificate (a renewed Secret) is served without a restart.
 * The first read happens here, so a port is never open without a
 * certificate. With a CA, a client certificate is asked for and verified
 * but not required: proxies may prove themselves with a token instead.
 */
class RotatingCredentials extends grpc.ServerCredentials {
  private current: SecureContextOptions;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: () => SecureContextOptions,
    private readonly label: string,
    private readonly refreshMs: number,
    private readonly log?: Logger,
  ) {
    const ctx = source();
    super({ requestCert: ctx.ca !== undefined, rejectUnauthorized: false }, ctx);
    this.current = ctx;
  }

  override _addWatcher(watcher: Parameters<grpc.ServerCredentials['_addWatcher']>[0]): void {
    super._addWatcher(watcher);
    if (this.timer) return;
    this.timer = setInterval(() => this.reload(), this.refreshMs);
    this.timer.unref();
  }

  override _removeWatcher(watcher: Parameters<grpc.ServerCredentials['_removeWatcher']>[0]): void {
    super._removeWatcher(watcher);
    if (this.getWatcherCount() > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private reload(): void {
    let next: SecureContextOptions;
    try {
      next = this.source();
      if (same(next, this.current)) return;
      // Mid-rotation a file can be missing, or the key new and the certificate
      // not yet: a pair that does not make a context is not handed to the
      // server (which would refuse connections until the next good one).
      createSecureContext(next);
    } catch (e) {
      this.log?.warn(
        { error: e instanceof Error ? e.message : String(e) },
        'TLS files unreadable or mismatched; keeping the current ones',
      );
      return;
    }
    this.current = next;
    this.log?.info({ cert: this.label }, 'TLS certificate reloaded');
    this.updateSecureContextOptions(next);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function tlsCredentials(
  files: TlsFiles,
  opts: { refreshMs?: number; log?: Logger } = {},
): grpc.ServerCredentials {
  return new RotatingCredentials(() => load(files), files.certFile, opts.refreshMs ?? 60_000, opts.log);
}

/**
 * The same, from a function that returns the current certificate, key and
 * client CA bundle (a certificate our own CA issues and renews, roots that
 * rotate); it is asked again every refreshMs.
 */
export function tlsCredentialsFrom(
  source: () => SecureContextOptions,
  label: string,
  opts: { refreshMs?: number; log?: Logger } = {},
): grpc.ServerCredentials {
  return new RotatingCredentials(source, label, opts.refreshMs ?? 60_000, opts.log);
}

/** The PEM files' contents, for combining with other sources. */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  return load(files);
}
