// The proto-rule validator the server runs on every resource before it is
// sent: protoc-gen-validate rules (rules.ts), the checks Envoy makes when it
// loads a resource (load.ts), one walk over the encoded message (message.ts),
// and a cache of verdicts per encoded resource (cache.ts).
export { validateMessage, hasChecks, type ValidateOptions, type Violation } from './message';
export { ResourceValidator, blocking } from './cache';
