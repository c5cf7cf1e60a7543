import { pack, type TypeMap } from '../../envoy';
import type { ClientTLSSettings, TrafficPolicy } from '../../model';
import { ADS, sdsSecret } from '../common';
import * as names from '../names';
import type { Wrapper } from './cluster-policy';

// The transport socket of a waypoint VIP cluster a DestinationRule secures
// (cluster_waypoint.go: buildWaypointInboundVIPCluster, buildWaypointTLSContext;
// cluster_tls.go: constructUpstreamTLS). Whatever is built goes inside the
// internal_upstream socket: the bytes still travel through connect_originate,
// so TLS to the backend runs inside the HBONE tunnel.

type TransportSocket = TypeMap['envoy.config.core.v3.TransportSocket'];
type UpstreamTls = TypeMap['envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'];
type SdsConfig = TypeMap['envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig'];

/**
 * authentication.go: ConstructSdsSecretConfigForCredential — a credential
 * comes over ADS from the control plane, with no initial fetch timeout set
 * so a missing Secret does not hold the cluster back. An `sds://` name with
 * no external SDS provider falls back to ADS under its bare name.
 */
function credentialSds(credential: string): SdsConfig {
  return { name: credentialName(credential), sds_config: ADS };
}

function credentialName(credential: string): string {
  return names.credentialResource(credential.startsWith('sds://') ? credential.slice('sds://'.length) : credential);
}

/**
 * The SDS names a SIMPLE / MUTUAL context with `credentialName` fetches over
 * ADS, as upstreamTls builds it: the key pair (MUTUAL) and the `-cacert`
 * roots (unless verification is skipped). What the control plane must serve.
 */
export function credentialSdsNames(tls: ClientTLSSettings | undefined): string[] {
  const cred = tls?.credentialName;
  if (!cred || (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL')) return [];
  const out: string[] = [];
  if (tls.mode === 'MUTUAL') out.push(credentialName(cred));
  if (tls.insecureSkipVerify !== true) out.push(credentialName(cred + names.SDS_CA_SUFFIX));
  return out;
}

const SAN_TYPES = ['DNS', 'URI', 'EMAIL', 'IP_ADDRESS'] as const;

/**
 * istiod sets the deprecated match_subject_alt_names (util.go: StringToExactMatch),
 * which matches a name against every SAN of the certificate. Deprecated fields
 * are never served, so each name gets one typed matcher per SAN type: the same
 * certificates pass.
 */
const exactSans = (sans: readonly string[] | undefined) =>
  (sans ?? []).flatMap((exact) => SAN_TYPES.map((san_type) => ({ san_type, matcher: { exact } })));

/**
 * cluster_tls.go: constructUpstreamTLS for SIMPLE and MUTUAL. Without an
 * explicit SNI, Envoy takes it from the request (auto_sni), and without SNI
 * or SANs also checks the certificate against it (auto_san_validation;
 * setAutoSniAndAutoSanValidation). Returns undefined where istiod logs an
 * error and sends the cluster without TLS (MUTUAL without a certificate).
 */
export function upstreamTls(w: Wrapper, tls: ClientTLSSettings, http2: boolean): UpstreamTls | undefined {
  const mutual = tls.mode === 'MUTUAL';
  const skipVerify = tls.insecureSkipVerify === true;
  const autoSni = !tls.sni;
  const autoSan = autoSni && (tls.subjectAltNames ?? []).length === 0 && !skipVerify;
  if (autoSni || autoSan) {
    const o = (w.http ??= {});
    o.upstream_http_protocol_options = {
      ...o.upstream_http_protocol_options,
      ...(autoSni ? { auto_sni: true } : {}),
      ...(autoSan ? { auto_san_validation: true } : {}),
    };
  }
  const common: NonNullable<UpstreamTls['common_tls_context']> = {
    tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
  };
  if (tls.credentialName) {
    // authentication.go: ApplyCustomSDSToClientCommonTLSContext
    if (mutual) common.tls_certificate_sds_secret_configs = [credentialSds(tls.credentialName)];
    if (!skipVerify)
      common.combined_validation_context = {
        default_validation_context: { match_typed_subject_alt_names: exactSans(tls.subjectAltNames) },
        validation_context_sds_secret_config: credentialSds(tls.credentialName + names.SDS_CA_SUFFIX),
      };
  } else {
    if (mutual) {
      if (!tls.clientCertificate || !tls.privateKey) return undefined;
      common.tls_certificate_sds_secret_configs = [
        sdsSecret(names.fileCertResource(tls.clientCertificate, tls.privateKey)),
      ];
    }
    // The proxy's agent serves the files; no caCertificates means the system roots.
    const ca = tls.caCertificates || 'system';
    if (skipVerify) common.validation_context = {};
    else
      common.combined_validation_context = {
        default_validation_context: {
          match_typed_subject_alt_names: exactSans(tls.subjectAltNames),
          ...(tls.caCrl ? { crl: { filename: tls.caCrl } } : {}),
        },
        validation_context_sds_secret_config: sdsSecret(names.fileRootResource(ca)),
      };
  }
  if (http2) common.alpn_protocols = ['h2'];
  return { common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) };
}

/**
 * The socket inside internal_upstream: TLS for SIMPLE / MUTUAL (DISABLE and
 * ISTIO_MUTUAL add nothing on a waypoint: its hop to the backend is already
 * HBONE mTLS), then PROXY protocol around whatever is there.
 */
export function innerTransportSocket(
  w: Wrapper,
  policy: TrafficPolicy | undefined,
  rawBuffer: TransportSocket,
): TransportSocket | undefined {
  let socket: TransportSocket | undefined;
  const tls = policy?.tls;
  if (tls && (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL')) {
    const http2 = w.http?.explicit_http_config?.http2_protocol_options !== undefined;
    const ctx = upstreamTls(w, tls, http2);
    if (ctx)
      socket = {
        name: names.TLS_TRANSPORT_SOCKET,
        typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', ctx),
      };
  }
  const pp = policy?.proxyProtocol;
  if (pp)
    socket = {
      name: names.UPSTREAM_PROXY_PROTOCOL,
      typed_config: pack('envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport', {
        config: { version: pp.version === 'V2' ? 'V2' : 'V1' },
        transport_socket: socket ?? rawBuffer,
      }),
    };
  return socket;
}
