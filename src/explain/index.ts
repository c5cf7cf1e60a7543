// Why a request would be allowed or denied, and where it would go.
export * from './explain';
