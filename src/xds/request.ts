import { decodeMessage } from '../envoy';
import { ClaimedVersions } from './claimed-versions';
import { clip } from './log-limit';

/** A request the client got wrong: the stream ends with INVALID_ARGUMENT and this message. */
export class BadRequest extends Error {}

type Sotw = ReturnType<typeof decodeMessage<'envoy.service.discovery.v3.DiscoveryRequest'>>;
type Delta = ReturnType<typeof decodeMessage<'envoy.service.discovery.v3.DeltaDiscoveryRequest'>>;

export type SotwRequest = Sotw & { kind: 'DiscoveryRequest' };

/**
 * The fields of a DeltaDiscoveryRequest a Delta stream uses (resource
 * locators are not among them), claimed versions kept as ClaimedVersions.
 */
export interface DeltaRequest {
  kind: 'DeltaDiscoveryRequest';
  node: Delta['node'];
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  initial_resource_versions: ClaimedVersions;
  response_nonce: string;
  error_detail: Delta['error_detail'];
}

/** A decoded request, with the message name errors use to describe it. */
export type Request = SotwRequest | DeltaRequest;

export function decodeRequest(protocol: 'sotw', bytes: Buffer): SotwRequest;
export function decodeRequest(protocol: 'delta', bytes: Buffer): DeltaRequest;
export function decodeRequest(protocol: 'sotw' | 'delta', bytes: Buffer): Request {
  const kind = protocol === 'sotw' ? 'DiscoveryRequest' : 'DeltaDiscoveryRequest';
  try {
    return protocol === 'sotw'
      ? { ...decodeMessage('envoy.service.discovery.v3.DiscoveryRequest', bytes), kind: 'DiscoveryRequest' }
      : deltaOf(decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes));
  } catch (e) {
    throw new BadRequest(`malformed ${kind}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The general decode's result as a DeltaRequest (delta-request.ts reads the common ones from the wire). */
function deltaOf(d: Delta): DeltaRequest {
  return {
    kind: 'DeltaDiscoveryRequest',
    node: d.node,
    type_url: d.type_url,
    resource_names_subscribe: d.resource_names_subscribe,
    resource_names_unsubscribe: d.resource_names_unsubscribe,
    initial_resource_versions: ClaimedVersions.fromRecord(d.initial_resource_versions ?? {}),
    response_nonce: d.response_nonce,
    error_detail: d.error_detail,
  };
}

/** Refuses a request without a type or naming more resources than one request may. */
export function checkRequest(req: Request, maxNames: number): void {
  if (req.type_url === '') throw new BadRequest(`${req.kind} without type_url`);
  const names =
    req.kind === 'DiscoveryRequest'
      ? req.resource_names.length
      : req.resource_names_subscribe.length +
        req.resource_names_unsubscribe.length +
        req.initial_resource_versions.size;
  if (names > maxNames) {
    throw new BadRequest(
      `${req.kind} for ${clip(req.type_url, 200)} names ${names} resources; the limit is ${maxNames}`,
    );
  }
}
