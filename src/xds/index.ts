export { SnapshotCache, type CacheChange, type ResourceMap } from './cache';
export { XdsServer, DEFAULT_LIMITS, type XdsServerOptions, type XdsLimits } from './server';
export { XdsMetrics } from './metrics';
export { parseNode, keyByNodeId, type ProxyInfo, type ProxyKeyFn } from './node';
export { DEFAULT_DEBOUNCE, type DebounceOptions } from './push-queue';
export type { SyncStatus } from './type-state';
