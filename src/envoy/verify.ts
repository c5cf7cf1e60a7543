import { messageType } from './registry';
import { messageName, PUSH_ORDER } from './type-urls';

/**
 * Fails startup with a clear message when a type URL we emit does not resolve
 * in the loaded proto tree (a missing file in proto-files.json, a renamed
 * message after a dependency upgrade).
 */
export function verifyTypeUrls(extra: readonly string[] = []): void {
  const missing: string[] = [];
  for (const url of [...PUSH_ORDER, ...extra]) {
    try {
      messageType(messageName(url));
    } catch {
      missing.push(url);
    }
  }
  if (missing.length > 0) {
    throw new Error(`type URLs without a loaded proto message: ${missing.join(', ')}`);
  }
}
