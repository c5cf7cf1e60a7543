export { protoRoot, messageType, typeForUrl } from './registry';
export { encodeMessage, decodeMessage, pack, encodeTail, packWithTail } from './pack';
export type { MessageName, TypeMap, OutputTypeMap, EncodedTail } from './pack';
export { PreparedResource, prepare, contentVersion, countEncode, encodeCounts } from './resource';
export { shareEncoding } from './encoder';
export * from './type-urls';
export * from './wire';
export { verifyTypeUrls } from './verify';
export { toProtoJson, type Json } from './json';
