import type { ServiceEndpoint } from '../../ambient';
import { pack, type TypeMap } from '../../envoy';
import { inNamespace, LABEL, type ClientTLSSettings, type DestinationRule, type World } from '../../model';
import * as names from '../names';
import { peerMode } from '../policy/peer-authentication';
import { podServiceAccount } from '../../model/defaults';

// Proxyless gRPC reads its certificates from the certificate providers in its
// own bootstrap; we only name the provider instance and certificate. Only the
// current provider fields are set: the deprecated `*_certificate_provider_instance`
// ones fail Envoy's deprecation check, so gRPC older than 1.66 (which reads
// only those) gets no mTLS from us. istiod nests the roots in a
// combined_validation_context; this proto tree requires an SDS config there,
// so a plain validation_context (which gRPC reads the same way) carries them.

type TransportSocket = TypeMap['envoy.config.core.v3.TransportSocket'];
type CommonTlsContext = TypeMap['envoy.extensions.transport_sockets.tls.v3.CommonTlsContext'];

/**
 * Deprecated fields proxyless gRPC still needs: grpc-js (1.14) checks the
 * server's identity only against `match_subject_alt_names`, not the typed
 * matchers that replace it.
 */
export const GRPC_DEPRECATED_FIELDS: ReadonlySet<string> = new Set([
  'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext.match_subject_alt_names',
]);

function commonTls(sans: string[]): CommonTlsContext {
  return {
    tls_certificate_provider_instance: { instance_name: names.CERT_PROVIDER, certificate_name: names.IDENTITY_CERT },
    validation_context: {
      ca_certificate_provider_instance: { instance_name: names.CERT_PROVIDER, certificate_name: names.ROOT_CERT },
      match_subject_alt_names: sans.map((exact) => ({ exact })),
    },
  };
}

/** A server chain that requires a client certificate signed by the mesh roots. */
export function downstreamMtls(): TransportSocket {
  return {
    name: names.TLS_TRANSPORT_SOCKET,
    typed_config: pack('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
      common_tls_context: commonTls([]),
      require_client_certificate: { value: true },
    }),
  };
}

/** A client cluster that presents the workload certificate and accepts only the given identities. */
export function upstreamMtls(sans: string[]): TransportSocket {
  return {
    name: names.TLS_TRANSPORT_SOCKET,
    typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
      common_tls_context: commonTls(sans),
    }),
  };
}

/**
 * Whether a gRPC server endpoint must require mTLS. gRPC cannot serve
 * plaintext and TLS on one port (its filter chains only match raw_buffer), so
 * PERMISSIVE is served as plaintext, as istiod does, unless the workload is
 * labelled as speaking Istio mTLS: then its clients use mTLS and so must it.
 */
export function serverRequiresMtls(
  world: World,
  e: ServiceEndpoint,
  namespace: string,
  rootNamespace: string,
): boolean {
  const labels = e.pod?.metadata.labels ?? {};
  const mode = peerMode(
    world,
    { namespace: e.pod?.metadata.namespace ?? namespace, labels, port: e.port },
    rootNamespace,
  );
  return mode === 'STRICT' || (mode === 'PERMISSIVE' && labels[LABEL.tlsMode] === 'istio');
}

/**
 * The identities a client accepts from a service's servers: the SPIFFE IDs
 * of the pods behind it (a pod without serviceAccountName runs as `default`).
 * An endpoint with no pod adds none, rather than a guessed one.
 */
export function serverIdentities(backends: readonly ServiceEndpoint[], trustDomain: string): string[] {
  const ids = new Set<string>();
  for (const { pod } of backends)
    if (pod) ids.add(names.spiffeId(trustDomain, pod.metadata.namespace, podServiceAccount(pod.spec)));
  return [...ids].sort();
}

function hostMatches(rule: DestinationRule, host: string, domain: string): boolean {
  const h = rule.spec?.host ?? '';
  if (h === '*') return true;
  if (h.startsWith('*.')) return host.endsWith(h.slice(1));
  // A short name is relative to the rule's own namespace.
  const fqdn = h.includes('.') ? h : names.serviceHostname(h, rule.metadata.namespace, domain);
  return fqdn === host;
}

/**
 * The DestinationRule for a service host. Every proxyless client gets the
 * same configuration, so the client's own namespace cannot be consulted:
 * the service's namespace is, then the root namespace; an exact host beats
 * a wildcard, then the oldest rule wins. Rules with a workloadSelector apply
 * to sidecars' own traffic and are skipped.
 */
export function destinationRuleFor(
  world: World,
  host: string,
  namespace: string,
  rootNamespace: string,
  domain: string,
): DestinationRule | undefined {
  for (const ns of namespace === rootNamespace ? [namespace] : [namespace, rootNamespace]) {
    const found = inNamespace(world, 'DestinationRule', ns)
      .filter((r) => !r.spec?.workloadSelector && hostMatches(r, host, domain))
      .sort((a, b) => rank(a) - rank(b) || byAge(a, b));
    if (found[0]) return found[0];
  }
  return undefined;
}

const rank = (r: DestinationRule) => ((r.spec?.host ?? '').includes('*') ? 1 : 0);
function byAge(a: DestinationRule, b: DestinationRule): number {
  const at = (r: DestinationRule) => `${r.metadata.creationTimestamp ?? ''}\u0000${r.metadata.name}`;
  return at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0;
}

/** The TLS settings a rule gives one service port: a port-level setting replaces the rule-wide one. */
export function clientTls(rule: DestinationRule | undefined, port: number): ClientTLSSettings | undefined {
  const tp = rule?.spec?.trafficPolicy;
  const perPort = tp?.portLevelSettings?.find((s) => s.port?.number === port)?.tls;
  return perPort ?? tp?.tls;
}
