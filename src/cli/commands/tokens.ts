// `superscript token create|list|revoke`: the tokens file (SUPERSCRIPT_TOKENS_FILE) by hand. A token is
// printed once, alone on standard output (TOKEN=$(superscript token create ...)); the file keeps its hash.
import { createToken, existingTokens, revokeToken } from '../../config/tokens.js';
import { ConfigError } from '../../errors.js';
import type { Context } from '../context.js';

function tokensFile(ctx: Context): string {
  const file = ctx.settings.tokensFile;
  if (!file) {
    throw new ConfigError(
      'Set SUPERSCRIPT_TOKENS_FILE to the tokens file (e.g. /etc/superscript/tokens.json); `token create` creates it.',
    );
  }
  return file;
}

export async function tokenCreate(ctx: Context, o: { name: string; scope: string[] }): Promise<number> {
  const file = tokensFile(ctx);
  const token = createToken(file, o.name, o.scope);
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    `Token "${o.name}" (${o.scope.join(', ')}) added to ${file}, which keeps only its hash: this is the only time it is shown.\n`,
  );
  const registered = ctx.registry.names();
  for (const scope of o.scope) {
    const script = /^run:(.+)$/.exec(scope)?.[1];
    if (script && script !== '*' && !registered.includes(script)) {
      process.stderr.write(
        `Note: script "${script}" is not in the registry ${ctx.settings.registryFile} (yet).\n`,
      );
    }
  }
  return 0;
}

export async function tokenList(ctx: Context): Promise<number> {
  const file = tokensFile(ctx);
  const tokens = existingTokens(file);
  if (tokens.length === 0) process.stderr.write(`No tokens in ${file}.\n`);
  const width = Math.max(4, ...tokens.map((t) => t.name.length));
  for (const t of tokens) {
    const revoked = t.revokedAt ? `  revoked ${t.revokedAt}` : '';
    process.stdout.write(
      `${t.name.padEnd(width)}  created ${t.createdAt}${revoked}  ${t.scopes.join(' ')}\n`,
    );
  }
  return 0;
}

export async function tokenRevoke(ctx: Context, name: string): Promise<number> {
  const file = tokensFile(ctx);
  const revoked = revokeToken(file, name);
  process.stderr.write(
    revoked
      ? `Token "${name}" revoked; a running API refuses it from its next request on.\n`
      : `Token "${name}" was already revoked.\n`,
  );
  return 0;
}
