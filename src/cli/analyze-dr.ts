import { list, type ClientTLSSettings, type World } from '../model';
import type { Message } from './analyze';
import { CODE } from './analyze-codes';

/**
 * destinationrule/ca-certificates.go: CaCertificateAnalyzer — SIMPLE or
 * MUTUAL TLS without caCertificates does not verify the server (IST0128,
 * IST0129 per port), unless a credentialName is set on a rule with a
 * workloadSelector.
 */
export function unverifiedTls(world: World): Message[] {
  const out: Message[] = [];
  for (const dr of list(world, 'DestinationRule')) {
    const ns = dr.metadata.namespace ?? 'default';
    const at = { kind: 'DestinationRule', namespace: ns, name: dr.metadata.name };
    const full = `${ns}/${dr.metadata.name}`;
    const host = dr.spec?.host ?? '';
    const unverified = (tls: ClientTLSSettings | undefined) =>
      (tls?.mode === 'SIMPLE' || tls?.mode === 'MUTUAL') &&
      !tls.caCertificates &&
      !(tls.credentialName && dr.spec?.workloadSelector);
    const top = dr.spec?.trafficPolicy?.tls;
    if (unverified(top))
      out.push({
        level: 'Warning',
        code: CODE.tlsWithoutCaCertificates,
        ...at,
        text: `DestinationRule ${full} in namespace ${ns} has TLS mode set to ${top?.mode} but no caCertificates are set to validate server identity for host: ${host}`,
      });
    for (const p of dr.spec?.trafficPolicy?.portLevelSettings ?? [])
      if (unverified(p.tls))
        out.push({
          level: 'Warning',
          code: CODE.tlsPortWithoutCaCertificates,
          ...at,
          text: `DestinationRule ${full} in namespace ${ns} has TLS mode set to ${p.tls?.mode} but no caCertificates are set to validate server identity for host: ${host} at port number:${p.port?.number ?? 0}`,
        });
  }
  return out;
}
