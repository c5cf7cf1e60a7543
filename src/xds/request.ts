import { decodeMessage } from '../envoy';
import { clip } from './log-limit';

/** A request the client got wrong: the stream ends with INVALID_ARGUMENT and this message. */
export class BadRequest extends Error {}

type Sotw = ReturnType<typeof decodeMessage<'envoy.service.discovery.v3.DiscoveryRequest'>>;
type Delta = ReturnType<typeof decodeMessage<'envoy.service.discovery.v3.DeltaDiscoveryRequest'>>;

/** A decoded request, with the message name errors use to describe it. */
export type Request = (Sotw & { kind: 'DiscoveryRequest' }) | (Delta & { kind: 'DeltaDiscoveryRequest' });

export type SotwRequest = Extract<Request, { kind: 'DiscoveryRequest' }>;
export type DeltaRequest = Extract<Request, { kind: 'DeltaDiscoveryRequest' }>;

export function decodeRequest(protocol: 'sotw', bytes: Buffer): SotwRequest;
export function decodeRequest(protocol: 'delta', bytes: Buffer): DeltaRequest;
export function decodeRequest(protocol: 'sotw' | 'delta', bytes: Buffer): Request {
  const kind = protocol === 'sotw' ? 'DiscoveryRequest' : 'DeltaDiscoveryRequest';
  try {
    return protocol === 'sotw'
      ? { ...decodeMessage('envoy.service.discovery.v3.DiscoveryRequest', bytes), kind: 'DiscoveryRequest' }
      : { ...decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes), kind: 'DeltaDiscoveryRequest' };
  } catch (e) {
    throw new BadRequest(`malformed ${kind}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Refuses a request without a type or naming more resources than one request may. */
export function checkRequest(req: Request, maxNames: number): void {
  if (req.type_url === '') throw new BadRequest(`${req.kind} without type_url`);
  const names =
    req.kind === 'DiscoveryRequest'
      ? req.resource_names.length
      : req.resource_names_subscribe.length +
        req.resource_names_unsubscribe.length +
        Object.keys(req.initial_resource_versions ?? {}).length;
  if (names > maxNames) {
    throw new BadRequest(
      `${req.kind} for ${clip(req.type_url, 200)} names ${names} resources; the limit is ${maxNames}`,
    );
  }
}
