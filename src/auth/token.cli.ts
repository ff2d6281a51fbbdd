import { loadEnvFile } from 'node:process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { validateEnv } from '../config/env.validate.js';
import { isResourceId } from '../common/ids.js';
import { scopeFrom, signToken } from './jwt.service.js';

const USAGE = 'usage: npm run token -- <userId> [--expires-in <seconds>]  (default 86400 = 24 h)\n';

/**
 * `npm run token -- <userId> [--expires-in <seconds>]`: prints a handshake token for the
 * configured secret, carrying `exp` and the configured AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE.
 */
async function main(): Promise<void> {
  const { userId, expiresInS } = parseCommandLine();
  if (existsSync('.env')) {
    loadEnvFile('.env');
  }
  const env = validateEnv(process.env);
  if (!env.AUTH_JWT_SECRET) {
    process.stderr.write('AUTH_JWT_SECRET is not set (environment or .env): no token to sign.\n');
    process.exit(2);
  }
  const token = await signToken(
    new TextEncoder().encode(env.AUTH_JWT_SECRET),
    userId,
    expiresInS,
    scopeFrom(env),
  );
  process.stdout.write(`${token}\n`);
}

function parseCommandLine(): { userId: string; expiresInS: number } {
  try {
    const { positionals, values } = parseArgs({
      allowPositionals: true,
      options: { 'expires-in': { type: 'string', default: '86400' } },
    });
    const [userId] = positionals;
    const expires = values['expires-in'];
    if (positionals.length === 1 && isResourceId(userId) && /^[1-9]\d{0,9}$/.test(expires)) {
      return { userId, expiresInS: Number(expires) };
    }
  } catch {
    // an unknown flag: same answer as any other misuse
  }
  process.stderr.write(USAGE);
  process.exit(2);
}

await main();
