// Idempotency keys that do not come through a route's schema (a key a script's template forms, a payment's
// key from its order, `exec --key`, a batch file's rows), checked by the same Key schema.
import { InvalidRequestError } from '../errors.js';
import { Key } from '../shared/schemas/runs.js';

export function validateKey(key: unknown, field = 'key'): string {
  const checked = Key.safeParse(key);
  if (!checked.success) throw new InvalidRequestError(checked.error.issues[0]!.message, field);
  return checked.data;
}
