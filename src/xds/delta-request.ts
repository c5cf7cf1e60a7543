// DeltaDiscoveryRequests read straight from the wire. A re-dialling proxy's
// first requests claim every resource it holds (initial_resource_versions,
// thousands of name/version pairs each); the general path (wire check,
// protobufjs decode, toObject) builds an object, two strings and a view per
// pair only for most of them to be found equal to the cache. This reads the
// fields a Delta stream uses, keeps each claimed version as a span of the
// request's bytes (claimed-versions.ts), and hands anything unusual to the
// general path, so that what it accepts and refuses, and how, stays the
// general path's own: a request is either read here to the same result or
// decoded there.
import { isAscii, isUtf8 } from 'node:buffer';
import { decodeNested } from '../envoy';
import { ClaimedVersions } from './claimed-versions';
import { decodeRequest, type DeltaRequest } from './request';

const MESSAGE = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';

// Tags read here, each one byte: field number << 3 | 2 (length-delimited).
const NODE = 0x0a; // config.core.v3.Node node = 1
const TYPE_URL = 0x12; // string type_url = 2
const SUBSCRIBE = 0x1a; // repeated string resource_names_subscribe = 3
const UNSUBSCRIBE = 0x22; // repeated string resource_names_unsubscribe = 4
const VERSIONS = 0x2a; // map<string, string> initial_resource_versions = 5
const NONCE = 0x32; // string response_nonce = 6
// A map entry's key = 1 and value = 2.
const KEY = 0x0a;
const VALUE = 0x12;

/** The read position of the decode under way (decoding is synchronous). */
let pos = 0;
/** Where the rest of the request is known to be ASCII, so its strings need no UTF-8 check. */
let asciiFrom = Infinity;

/** A DeltaDiscoveryRequest's fields; refuses (BadRequest) exactly what decodeRequest('delta') refuses. */
export function decodeDeltaRequest(bytes: Buffer): DeltaRequest {
  let req: DeltaRequest | undefined;
  try {
    req = decodeDeltaFast(bytes);
  } catch {
    req = undefined;
  }
  return req ?? decodeRequest('delta', bytes);
}

/**
 * The request read from its bytes, or undefined when it holds anything this
 * leaves to the general decoder: error_detail (a NACK), resource locators,
 * unknown fields, a field of the wrong wire type, a tag of more than one byte
 * or a length of more than four, invalid UTF-8, a repeated node, or a claimed
 * name that a JavaScript object would order or treat apart (one starting
 * with a digit, `__proto__`). Throws where the node does not decode.
 */
export function decodeDeltaFast(bytes: Buffer): DeltaRequest | undefined {
  const end = bytes.length;
  let node: DeltaRequest['node'] = null;
  let typeUrl = '';
  let nonce = '';
  const subscribe: string[] = [];
  const unsubscribe: string[] = [];
  const at = new Map<string, number>();
  const order: string[] = [];
  const spans: number[] = [];
  pos = 0;
  asciiFrom = Infinity;
  while (pos < end) {
    const tag = bytes[pos++]!;
    const n = readLength(bytes, end);
    if (n < 0) return undefined;
    const start = pos;
    const stop = pos + n;
    switch (tag) {
      case VERSIONS:
        // Encoders write a map's entries together, near the end: when all
        // from the first one on is ASCII (names and versions under ~120
        // bytes), one native check stands for a check of each string.
        if (asciiFrom === Infinity) asciiFrom = isAscii(bytes.subarray(start)) ? start : end;
        if (!readClaim(bytes, start, stop, at, order, spans)) return undefined;
        break;
      case SUBSCRIBE:
      case UNSUBSCRIBE:
        if (!utf8(bytes, start, stop)) return undefined;
        (tag === SUBSCRIBE ? subscribe : unsubscribe).push(bytes.toString('utf8', start, stop));
        break;
      case TYPE_URL:
      case NONCE: {
        if (!utf8(bytes, start, stop)) return undefined;
        const s = bytes.toString('utf8', start, stop);
        if (tag === TYPE_URL) typeUrl = s;
        else nonce = s;
        break;
      }
      case NODE:
        if (node) return undefined;
        node = decodeNested('envoy.config.core.v3.Node', bytes.subarray(start, stop), `${MESSAGE}.node`, 1);
        break;
      default:
        return undefined;
    }
    pos = stop;
  }
  return {
    kind: 'DeltaDiscoveryRequest',
    node,
    type_url: typeUrl,
    resource_names_subscribe: subscribe,
    resource_names_unsubscribe: unsubscribe,
    initial_resource_versions: ClaimedVersions.fromSpans(bytes, at, order, spans),
    response_nonce: nonce,
    error_detail: null,
  };
}

/**
 * A length of at most four varint bytes (any length under the request size
 * limit) that stays within `end`, read at `pos`; -1 for anything else.
 */
function readLength(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return -1;
    const b = bytes[pos++]!;
    n |= (b & 0x7f) << shift;
    if (b < 0x80) return pos + n <= end ? n : -1;
  }
  return -1;
}

/** Whether bytes [start, stop) are UTF-8, as the general path's wire check requires of every string field. */
function utf8(bytes: Buffer, start: number, stop: number): boolean {
  if (start >= asciiFrom) return true;
  for (let i = start; i < stop; i++) if (bytes[i]! >= 0x80) return isUtf8(bytes.subarray(start, stop));
  return true;
}

/**
 * One initial_resource_versions entry, recorded as its name and the span of
 * its version. As protobufjs reads map entries: a missing key or value is
 * empty, and a repeated one takes the last. Every key and value must be
 * UTF-8, as the general path's wire check requires.
 */
function readClaim(
  bytes: Buffer,
  start: number,
  stop: number,
  at: Map<string, number>,
  order: string[],
  spans: number[],
): boolean {
  let keyStart = start;
  let keyStop = start;
  let valueStart = start;
  let valueStop = start;
  pos = start;
  while (pos < stop) {
    const tag = bytes[pos++]!;
    const n = readLength(bytes, stop);
    if (n < 0) return false;
    if (tag === KEY) {
      keyStart = pos;
      keyStop = pos + n;
    } else if (tag === VALUE) {
      valueStart = pos;
      valueStop = pos + n;
    } else return false;
    if (!utf8(bytes, pos, pos + n)) return false;
    pos += n;
  }
  // Integer-like keys come first in a JavaScript object; `__proto__` is its own case.
  if (keyStop > keyStart && bytes[keyStart]! >= 0x30 && bytes[keyStart]! <= 0x39) return false;
  const name = bytes.toString('utf8', keyStart, keyStop);
  if (name === '__proto__') return false;
  const i = at.get(name);
  if (i === undefined) {
    at.set(name, order.length);
    order.push(name);
    spans.push(valueStart, valueStop);
  } else {
    spans[2 * i] = valueStart;
    spans[2 * i + 1] = valueStop;
  }
  return true;
}
