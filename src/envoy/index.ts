export { protoRoot, messageType, typeForUrl } from './registry';
export { encodeMessage, decodeMessage, pack, encodeTail, packWithTail } from './pack';
export type { MessageName, TypeMap, OutputTypeMap, EncodedTail } from './pack';
export { PreparedResource, prepare, contentVersion } from './resource';
export * from './type-urls';
export * from './wire';
export { verifyTypeUrls } from './verify';
export { validateMessage, type Violation } from './validate';
export { toProtoJson, type Json } from './json';
