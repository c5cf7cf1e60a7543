// X.509 signing for the CA. @peculiar/x509 builds and parses certificates and
// PKCS#10 requests (RSA and ECDSA alike: ztunnel asks with P-256 keys) on
// Node's own WebCrypto, so every key operation is OpenSSL's through Node.
// Its dependency injection container needs the Reflect metadata polyfill
// loaded first.
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate as NodeCert, type KeyObject } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Clock skew allowed for a new certificate (generate_cert.go: ClockSkewGracePeriod). */
export const CLOCK_SKEW_MS = 2 * 60_000;

/** A signing key as WebCrypto uses it, with the algorithm its signatures carry. */
export interface SigningKey {
  key: CryptoKey;
  algorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  signature: Algorithm | EcdsaParams;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * Reads a PEM private key in any of the encodings CA tooling writes (PKCS#8,
 * PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`). The error never quotes
 * the key.
 */
export async function importSigningKey(pem: string | Buffer, what: string): Promise<SigningKey> {
  let obj: KeyObject;
  try {
    obj = createPrivateKey(pem);
  } catch (e) {
    throw new Error(`${what}: not a PEM private key (${e instanceof Error ? e.message : String(e)})`);
  }
  const der = obj.export({ type: 'pkcs8', format: 'der' });
  if (obj.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign']);
    return { key: key as CryptoKey, algorithm, signature: algorithm };
  }
  if (obj.asymmetricKeyType === 'ec') {
    const curve = CURVES[obj.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new Error(`${what}: EC curve ${obj.asymmetricKeyDetails?.namedCurve} is not supported`);
    const algorithm = { name: 'ECDSA', namedCurve: curve };
    const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign']);
    return { key: key as CryptoKey, algorithm, signature: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams };
  }
  throw new Error(`${what}: ${obj.asymmetricKeyType} keys are not supported (RSA or ECDSA)`);
}

/** A random positive serial number, 128 bits as istiod's genSerialNum draws. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? [];
}

/**
 * A self-signed root as istiod's self-signed CA makes one
 * (ca.go: NewSelfSignedIstioCAOptions, generate_cert.go: genCertTemplateFromOptions):
 * RSA 2048, Organization = the trust domain, CA with certSign, no SAN.
 * Returns PEMs; the key is PKCS#8.
 */
export async function createSelfSignedRoot(
  org: string,
  ttlMs: number,
  now = Date.now(),
): Promise<{ cert: string; key: string }> {
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ O: [org] }],
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + ttlMs),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { cert: cert.toString('pem') + '\n', key: pkcs8Pem(der) };
}

export class CsrError extends Error {}

export interface LeafRequest {
  csrPem: string;
  /** URI SANs (`spiffe://…`) the certificate names; the request's own are ignored. */
  uris?: string[];
  dnsNames?: string[];
  notAfter: Date;
  now: number;
}

/**
 * Signs a leaf from a PKCS#10 request after checking the request's own
 * signature, taking nothing from it but its public key and whether it has a
 * common name (generate_cert.go: genCertTemplateFromCSR): the SANs are the
 * caller's proven identity, marked critical when the subject is empty.
 */
export async function signLeaf(req: LeafRequest, issuerPem: string, signer: SigningKey): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(req.csrPem);
  } catch (e) {
    throw new CsrError(`the CSR is not a PEM PKCS#10 request (${e instanceof Error ? e.message : String(e)})`);
  }
  let ok = false;
  try {
    ok = await csr.verify();
  } catch (e) {
    throw new CsrError(`the CSR's signature cannot be checked (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!ok) throw new CsrError("the CSR's signature does not match its public key");
  const issuer = new x509.X509Certificate(issuerPem);
  const names: x509.JsonGeneralName[] = [
    ...(req.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const hasCn = csr.subjectName.getField('CN').length > 0;
  // Dual use (a CN equal to the first DNS name or the identity) as istiod's DualUseCommonName, when the CSR asked for one.
  const cn = hasCn ? (req.dnsNames?.[0] ?? req.uris?.[0]) : undefined;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: cn && cn.length <= 64 ? [{ CN: [cn] }] : [],
    issuer: issuer.subjectName.toString(),
    notBefore: new Date(req.now - CLOCK_SKEW_MS),
    notAfter: req.notAfter,
    publicKey: csr.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.signature,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(issuer, false),
      new x509.SubjectAlternativeNameExtension(names, !cn),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** What the CA needs to know of a certificate, read with Node's own parser. */
export function certInfo(pem: string): { ca: boolean; notAfter: number; notBefore: number; subject: string } {
  const c = new NodeCert(pem);
  return { ca: c.ca, notAfter: Date.parse(c.validTo), notBefore: Date.parse(c.validFrom), subject: c.subject };
}

/** Whether `child` was signed by `parent`'s key. */
export function issuedBy(childPem: string, parentPem: string): boolean {
  const child = new NodeCert(childPem);
  const parent = new NodeCert(parentPem);
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** Whether a certificate carries the public half of a private key. */
export function matchesKey(certPem: string, keyPem: string | Buffer): boolean {
  return new NodeCert(certPem).checkPrivateKey(createPrivateKey(keyPem));
}

/** A new P-256 key (PKCS#8 PEM) and a CSR for it, for certificates the control plane issues itself. */
export async function newKeyAndCsr(): Promise<{ key: string; csr: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ keys, signingAlgorithm: alg });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key: pkcs8Pem(der), csr: csr.toString('pem') };
}

function pkcs8Pem(der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n');
  return `-----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY-----\n`;
}
