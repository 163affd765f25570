import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Machine secrets (API keys, refresh tokens) are 256 random bits, so one SHA-256 is enough to store
 * them: nothing to brute-force, no salt or slow hash needed (those protect low-entropy passwords).
 */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of two secrets (by their hashes, so lengths always match). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashSecret(a), 'hex'), Buffer.from(hashSecret(b), 'hex'));
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}
