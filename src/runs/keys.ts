// Idempotency keys. A key is the workflow ID of its run, so it must be a safe workflow ID and URL segment.
import { InvalidRequestError } from '../errors.js';

export const KEY_MAX_LENGTH = 200;
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@=+-]*$/;

export function validateKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidRequestError(
      'An idempotency key is required: send the Idempotency-Key header (or "key" in the body).',
      field,
    );
  }
  if (key.length > KEY_MAX_LENGTH) {
    throw new InvalidRequestError(
      `The idempotency key is ${key.length} characters; the limit is ${KEY_MAX_LENGTH}.`,
      field,
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidRequestError(
      'The idempotency key may hold letters, digits and . _ : @ = + - and must start with a letter or digit.',
      field,
    );
  }
  return key;
}
