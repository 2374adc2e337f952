// API tokens: the tokens file (SUPERSCRIPT_TOKENS_FILE), validated with zod like the script registry.
// The file holds only SHA-256 hashes: a token is 256 random bits, shown once when it is created, so its
// hash cannot be reversed or guessed, and reading the file does not give anyone a token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, InvalidRequestError } from '../errors.js';
import { SCRIPT_NAME } from '../shared/schemas/runs.js';

export type Scope = 'read' | 'retry' | 'cancel' | 'schedule' | 'admin' | `run:${string}`;

const SCOPES_HELP = 'scopes are run:<script>, run:*, read, retry, cancel, schedule and admin';
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const HASH = /^sha256:[0-9a-f]{64}$/;

export function isScope(value: string): value is Scope {
  if (['read', 'retry', 'cancel', 'schedule', 'admin'].includes(value)) return true;
  const script = /^run:(.*)$/.exec(value)?.[1];
  return script !== undefined && (script === '*' || SCRIPT_NAME.test(script));
}

const TokenEntrySchema = z
  .object({
    name: z.string().regex(TOKEN_NAME, 'token names are letters, digits and . _ @ -, at most 64'),
    hash: z.string().regex(HASH, 'a token hash is "sha256:" and 64 lowercase hex digits'),
    scopes: z.array(z.string().refine(isScope, SCOPES_HELP)).nonempty(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().optional(),
  })
  .strict();

const TokensFileSchema = z
  .object({ tokens: z.array(TokenEntrySchema) })
  .strict()
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    file.tokens.forEach((t, i) => {
      if (names.has(t.name))
        ctx.addIssue({ code: 'custom', path: ['tokens', i, 'name'], message: `"${t.name}" appears twice` });
      names.add(t.name);
    });
  });

export interface TokenEntry extends z.infer<typeof TokenEntrySchema> {
  scopes: [Scope, ...Scope[]];
}

/** Reads and validates a tokens file; a bad field is named. */
export function loadTokens(file: string): TokenEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(
        `The tokens file ${file} (SUPERSCRIPT_TOKENS_FILE) does not exist. Create a token with \`superscript token create --name NAME --scope SCOPE\`, which creates the file.`,
      );
    }
    throw new ConfigError(`Cannot read the tokens file ${file}: ${(err as Error).message}`);
  }
  const parsed = TokensFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `Invalid tokens file ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data.tokens as TokenEntry[];
}

/** Writes the file whole (a rename, so a reader never sees half of it), readable by its owner only. */
export function saveTokens(file: string, tokens: TokenEntry[]): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ tokens }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** Adds a token to the file (creating it) and returns the token, which exists nowhere else. */
export function createToken(file: string, name: string, scopes: string[], now = new Date()): string {
  if (!TOKEN_NAME.test(name)) {
    throw new InvalidRequestError(
      `Token name "${name}": use letters, digits and . _ @ -, at most 64, starting with a letter or digit.`,
      'name',
    );
  }
  const bad = scopes.find((s) => !isScope(s));
  if (bad !== undefined) throw new InvalidRequestError(`Unknown scope "${bad}": ${SCOPES_HELP}.`, 'scope');
  if (scopes.length === 0) throw new InvalidRequestError(`A token needs a scope: ${SCOPES_HELP}.`, 'scope');
  const tokens = existingTokens(file);
  if (tokens.some((t) => t.name === name)) {
    throw new InvalidRequestError(
      `A token named "${name}" already exists (names are never reused, so a run's "retried by" stays unambiguous). Choose another name.`,
      'name',
    );
  }
  const token = `ss_${randomBytes(32).toString('base64url')}`;
  const entry = { name, hash: hashToken(token), scopes, createdAt: now.toISOString() } as TokenEntry;
  saveTokens(file, [...tokens, entry]);
  return token;
}

/** Marks a token revoked; false if it already was. The entry stays, so its name is never reused. */
export function revokeToken(file: string, name: string, now = new Date()): boolean {
  const tokens = loadTokens(file);
  const entry = tokens.find((t) => t.name === name);
  if (!entry) {
    throw new InvalidRequestError(
      `No token named "${name}" in ${file}. \`superscript token list\` shows them.`,
      'name',
    );
  }
  if (entry.revokedAt) return false;
  entry.revokedAt = now.toISOString();
  saveTokens(file, tokens);
  return true;
}

/** The file's tokens, or none when it does not exist yet. */
export function existingTokens(file: string): TokenEntry[] {
  return existsSync(file) ? loadTokens(file) : [];
}

/**
 * The tokens file as the API sees it: validated at start-up, and read again whenever it changes (one
 * stat per request), so a token revoked while the API runs is refused on its next request. A file that
 * turns invalid or disappears refuses every request (ConfigError) instead of keeping stale tokens alive.
 */
export class TokenStore {
  private cached?: { stamp: string; tokens: TokenEntry[] };

  constructor(readonly file: string) {
    this.tokens();
  }

  /** The live token `token` is, if any. Every hash is compared, in constant time. */
  find(token: string): TokenEntry | undefined {
    const presented = Buffer.from(hashToken(token));
    let found: TokenEntry | undefined;
    for (const entry of this.tokens()) {
      // Equal lengths: the schema fixes a hash's form.
      if (timingSafeEqual(Buffer.from(entry.hash), presented) && !entry.revokedAt) found = entry;
    }
    return found;
  }

  /** The live (not revoked) token named `name`, if any: whose authority a schedule's fires run with. */
  named(name: string): TokenEntry | undefined {
    return this.tokens().find((entry) => entry.name === name && !entry.revokedAt);
  }

  private tokens(): TokenEntry[] {
    const s = statSync(this.file, { throwIfNoEntry: false });
    const stamp = s && `${s.ino}:${s.size}:${s.mtimeMs}`;
    if (!stamp || this.cached?.stamp !== stamp) {
      // Forgotten first: if the new content is invalid, every request is refused until it is fixed.
      this.cached = undefined;
      this.cached = { stamp: stamp ?? '', tokens: loadTokens(this.file) };
    }
    return this.cached.tokens;
  }
}
