import { ENV_SCHEMA, type Env, type SettingSpec } from './env.schema.js';

/** Thrown when the configuration is invalid; its message lists variables and rules, never values. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const INTEGER = /^-?\d+$/;

function convert(name: string, spec: SettingSpec, raw: string | undefined, problems: string[]) {
  if (raw === undefined) {
    return spec.default;
  }
  switch (spec.kind) {
    case 'int': {
      const value = INTEGER.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
        problems.push(`${name} must be an integer from ${spec.min} to ${spec.max}`);
      }
      return value;
    }
    case 'enum':
      if (!spec.values.includes(raw)) {
        problems.push(`${name} must be one of: ${spec.values.join(', ')}`);
      }
      return raw;
    case 'bool':
      if (raw !== 'true' && raw !== 'false') {
        problems.push(`${name} must be true or false`);
      }
      return raw === 'true';
    case 'hops': {
      const hops = raw === 'false' ? 0 : raw === 'true' ? 1 : INTEGER.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(hops) || hops < 0 || hops > spec.max) {
        problems.push(`${name} must be false, true or a number of proxies from 0 to ${spec.max}`);
      }
      return hops;
    }
    case 'string':
      if (spec.pattern && !spec.pattern.test(raw)) {
        problems.push(`${name} ${spec.rule ?? 'is malformed'}`);
      }
      return raw;
  }
}

function crossFieldProblems(env: Env): string[] {
  const problems: string[] = [];
  const ttl = env.PRESENCE_TTL_MS;
  if (env.SOCKET_PING_INTERVAL_MS + env.SOCKET_PING_TIMEOUT_MS >= ttl) {
    problems.push(
      'SOCKET_PING_INTERVAL_MS + SOCKET_PING_TIMEOUT_MS must be below PRESENCE_TTL_MS, ' +
        'so that a lost transport shows the member `away` before the TTL removes it',
    );
  }
  if (env.PRESENCE_HEARTBEAT_INTERVAL_MS >= ttl) {
    problems.push(
      'PRESENCE_HEARTBEAT_INTERVAL_MS must be below PRESENCE_TTL_MS, ' +
        'or a client following the advice expires between two heartbeats',
    );
  }
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
    problems.push('set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both');
  }
  const shared = Boolean(env.REDIS_URL || env.REDIS_CLUSTER_NODES);
  if (env.WORKERS && env.WORKERS !== '0' && env.WORKERS !== '1' && !shared) {
    problems.push(
      'WORKERS needs REDIS_URL or REDIS_CLUSTER_NODES: workers share presence, metadata and ' +
        'broadcasts only through Redis',
    );
  }
  if (env.NODE_ENV === 'production' && !env.AUTH_JWT_SECRET) {
    problems.push('AUTH_JWT_SECRET is required when NODE_ENV=production');
  }
  return problems;
}

/**
 * Validates raw settings (the environment merged with `.env`): empty counts as unset,
 * conversions are explicit, unknown keys are dropped. Returns a frozen Env.
 */
export function validateEnv(raw: Record<string, unknown>): Env {
  const problems: string[] = [];
  const env: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_SCHEMA) as [string, SettingSpec][]) {
    const value = raw[name];
    const text = typeof value === 'string' && value !== '' ? value : undefined;
    env[name] = convert(name, spec, text, problems);
  }
  if (problems.length === 0) {
    problems.push(...crossFieldProblems(env as unknown as Env));
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return Object.freeze(env) as unknown as Env;
}
