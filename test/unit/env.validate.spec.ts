import { readFileSync } from 'node:fs';
import { ENV_SCHEMA } from '../../src/config/env.schema.js';
import { ConfigError, validateEnv } from '../../src/config/env.validate.js';

const problemsOf = (raw: Record<string, string>): string[] => {
  try {
    validateEnv(raw);
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.problems;
    }
    throw err;
  }
  return [];
};

describe('configuration', () => {
  it('gives every setting its documented default', () => {
    const env = validateEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.PRESENCE_TTL_MS).toBe(30_000);
    expect(env.PRESENCE_HEARTBEAT_MODE).toBe('lua');
    expect(env.REDIS_URL).toBeUndefined();
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    expect(validateEnv({ PORT: '', REDIS_URL: '' })).toMatchObject({ PORT: 3000 });
    expect(validateEnv({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
  });

  it('converts integers explicitly and refuses anything else, naming the variable not the value', () => {
    expect(validateEnv({ PRESENCE_TTL_MS: '45000' }).PRESENCE_TTL_MS).toBe(45_000);
    for (const bad of ['abc', '1e4', '12.5', ' 77', '0x10', '-1']) {
      const problems = problemsOf({ REAPER_INTERVAL_MS: bad });
      expect(problems).toEqual([expect.stringContaining('REAPER_INTERVAL_MS')]);
      expect(problems.join()).not.toContain(bad.trim() || 'never');
    }
  });

  it('refuses unknown enum values', () => {
    expect(problemsOf({ PRESENCE_HEARTBEAT_MODE: 'fast' })).toEqual([
      'PRESENCE_HEARTBEAT_MODE must be one of: lua, batched',
    ]);
  });

  it('refuses a transport ping that outlasts the presence TTL, and says why', () => {
    const problems = problemsOf({
      PRESENCE_TTL_MS: '20000',
      SOCKET_PING_INTERVAL_MS: '10000',
      SOCKET_PING_TIMEOUT_MS: '10000',
    });
    expect(problems).toEqual([
      expect.stringMatching(/SOCKET_PING_INTERVAL_MS.*PRESENCE_TTL_MS.*away/),
    ]);
  });

  it('refuses a heartbeat interval that is not below the TTL', () => {
    const problems = problemsOf({
      PRESENCE_TTL_MS: '30000',
      PRESENCE_HEARTBEAT_INTERVAL_MS: '30000',
    });
    expect(problems).toEqual([expect.stringContaining('PRESENCE_HEARTBEAT_INTERVAL_MS')]);
  });

  it('requires a JWT secret in production only', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'AUTH_JWT_SECRET is required when NODE_ENV=production',
    ]);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) })).toEqual([]);
  });

  it('refuses malformed Redis URLs and prefixes', () => {
    expect(problemsOf({ REDIS_URL: 'localhost:6379' })).toEqual([
      expect.stringContaining('REDIS_URL'),
    ]);
    expect(problemsOf({ REDIS_KEY_PREFIX: 'has space' })).toEqual([
      expect.stringContaining('REDIS_KEY_PREFIX'),
    ]);
  });

  it('reads TRUST_PROXY as a number of trusted hops', () => {
    expect(validateEnv({}).TRUST_PROXY).toBe(0);
    expect(validateEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(0);
    expect(validateEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(1);
    expect(validateEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    for (const bad of ['yes', '-1', '33', '1.5']) {
      expect(problemsOf({ TRUST_PROXY: bad })).toEqual([expect.stringContaining('TRUST_PROXY')]);
    }
  });

  it('lists every setting in .env.example and in the README', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const exampleKeys = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(exampleKeys.sort()).toEqual(Object.keys(ENV_SCHEMA).sort());
    for (const name of Object.keys(ENV_SCHEMA)) {
      expect(readme).toContain(`| ${name} |`);
    }
  });
});
