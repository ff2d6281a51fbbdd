import { loadEnvFile } from 'node:process';
import { existsSync } from 'node:fs';
import { validateEnv } from '../config/env.validate.js';
import { isResourceId } from '../common/ids.js';
import { signToken } from './jwt.service.js';

/** `npm run token -- <userId> [expiresInSeconds]`: prints a handshake token for the configured secret. */
async function main(): Promise<void> {
  const [userId, expires = '86400'] = process.argv.slice(2);
  if (!isResourceId(userId) || !/^\d+$/.test(expires)) {
    process.stderr.write('usage: npm run token -- <userId> [expiresInSeconds]\n');
    process.exit(2);
  }
  if (existsSync('.env')) {
    loadEnvFile('.env');
  }
  const secret = validateEnv(process.env).AUTH_JWT_SECRET;
  if (!secret) {
    process.stderr.write('AUTH_JWT_SECRET is not set (environment or .env): no token to sign.\n');
    process.exit(2);
  }
  const token = await signToken(new TextEncoder().encode(secret), userId, Number(expires));
  process.stdout.write(`${token}\n`);
}

await main();
