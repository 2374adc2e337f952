// Who may reach the API, decided before anything starts: with a tokens file, bearer tokens; without one,
// the API is open, which it may only be on loopback. Secure by default: bound anywhere else without a
// tokens file, `superscript api` and `superscript dev` refuse to start.
import { BlockList, isIP } from 'node:net';
import { TokenStore } from '../config/tokens.js';
import { ConfigError } from '../errors.js';

export interface ApiAccess {
  tokens?: TokenStore;
  /** Bound to loopback: answer only requests addressed to a local host name. */
  localHostOnly: boolean;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export function apiAccess(host: string, tokensFile: string | undefined): ApiAccess {
  const localHostOnly = isLoopback(host);
  if (tokensFile) return { tokens: new TokenStore(tokensFile), localHostOnly };
  if (!localHostOnly) {
    throw new ConfigError(
      `Refusing to serve the API on ${host} without tokens: anyone who reaches it could start, retry and cancel runs. Set SUPERSCRIPT_TOKENS_FILE and create a token with \`superscript token create --name NAME --scope SCOPE\`, or bind to 127.0.0.1.`,
    );
  }
  return { localHostOnly };
}
