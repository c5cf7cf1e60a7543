import * as grpc from '@grpc/grpc-js';
import { AuthError } from './auth';
import type { XdsLimits } from './limits';

/**
 * Requests of one stream held in order until the stream is authenticated,
 * within the pre-auth limits; once open, requests pass straight through.
 */
export class PreAuthQueue {
  private queue: Buffer[] | undefined = [];
  private bytes = 0;
  private closed = false;

  constructor(
    private readonly limits: Pick<XdsLimits, 'preAuthRequests' | 'preAuthBytes'>,
    private readonly handle: (b: Buffer) => void,
    private readonly onRefused: (e: AuthError) => void,
  ) {}

  push(b: Buffer): void {
    if (this.closed) return;
    if (!this.queue) return this.handle(b);
    this.bytes += b.length;
    const { preAuthRequests, preAuthBytes } = this.limits;
    if (this.queue.length >= preAuthRequests || this.bytes > preAuthBytes) {
      return this.refuse(
        new AuthError(
          grpc.status.RESOURCE_EXHAUSTED,
          `more than ${preAuthRequests} requests or ${preAuthBytes} bytes before authentication completed`,
        ),
      );
    }
    this.queue.push(b);
  }

  open(): void {
    const queued = this.queue ?? [];
    this.queue = undefined;
    for (const b of queued) if (!this.closed) this.handle(b);
  }

  refuse(e: AuthError): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = undefined;
    this.onRefused(e);
  }
}
