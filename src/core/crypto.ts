import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Secrets at rest (CRM tokens, webhook secrets) are sealed with AES-256-GCM under a key
 * derived from REFSYNC_SECRET_KEY. The sealed form is `v1.<iv>.<tag>.<ciphertext>`, all
 * base64url, so a later key or algorithm change can be told apart by its version.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #macKey: Buffer;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('REFSYNC_SECRET_KEY must be at least 16 characters');
    this.#key = createHash('sha256').update(`refsync:secret-box:${secret}`).digest();
    this.#macKey = createHash('sha256').update(`refsync:mac:${secret}`).digest();
  }

  /**
   * A keyed hash (HMAC-SHA256, hex) of `value` for one `purpose`: the same value hashes the
   * same way on every process of the install, and cannot be guessed back without the secret.
   */
  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.#macKey).update(`${purpose}\n${value}`).digest('hex');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) {
      throw new Error('Sealed secret has an unknown format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares two strings in time that depends only on their lengths. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
