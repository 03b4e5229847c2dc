import { Buffer } from 'node:buffer';

/**
 * Secrets the service must read again to use them (webhook signing secrets), sealed at rest
 * with AES-256-GCM (WebCrypto) under SECRETS_KEY (decision 0053). The additional data names the
 * row a sealed value belongs to, so a value copied to another row does not open. A database
 * dump, a replica or a log of the rows shows no usable secret.
 *
 * Stored as `sealed:v1:<iv>:<ciphertext>` (base64). A value without the prefix is plaintext
 * written before sealing existed: it is still read, and the `*\/15` cron seals it.
 */
const PREFIX = 'sealed:v1:';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Imported keys per isolate, by their base64 text. */
const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secretsKey: string): Promise<CryptoKey> {
  let key = keys.get(secretsKey);
  if (!key) {
    key = crypto.subtle.importKey('raw', Buffer.from(secretsKey, 'base64'), 'AES-GCM', false, ['encrypt', 'decrypt']);
    keys.set(secretsKey, key);
  }
  return key;
}

/** Whether a stored value is sealed (not legacy plaintext). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** Seals `plain` for the row named by `bound`. */
export async function seal(secretsKey: string, plain: string, bound: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(bound) }, await keyOf(secretsKey), enc.encode(plain));
  return `${PREFIX}${Buffer.from(iv).toString('base64')}:${Buffer.from(sealed).toString('base64')}`;
}

/** Opens a stored value of the row named by `bound` (legacy plaintext as it is); throws when it was sealed for another row or key. */
export async function unseal(secretsKey: string, stored: string, bound: string): Promise<string> {
  if (!isSealed(stored)) return stored;
  const [iv, sealed] = stored.slice(PREFIX.length).split(':');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: Buffer.from(iv, 'base64'), additionalData: enc.encode(bound) },
    await keyOf(secretsKey),
    Buffer.from(sealed ?? '', 'base64'),
  );
  return dec.decode(plain);
}
