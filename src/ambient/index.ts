// The ambient index: which waypoint serves which Service, ServiceEntry and workload.
export * from './ambient-index';
