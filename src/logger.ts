import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { Env } from './config/env.schema.js';

/** Every level at or above each LOG_LEVEL, most severe first (`fatal` always written). */
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export type LogSettings = Pick<Env, 'NODE_ENV' | 'LOG_FORMAT' | 'LOG_LEVEL'>;

/**
 * The process's logger: JSON lines, whose fields stay fields for whoever collects them,
 * or Nest's coloured console for a person (LOG_FORMAT=auto: JSON in production).
 */
export function createLogger(settings: LogSettings): ConsoleLogger {
  const json =
    settings.LOG_FORMAT === 'json' ||
    (settings.LOG_FORMAT === 'auto' && settings.NODE_ENV === 'production');
  const upTo = LEVELS.indexOf(settings.LOG_LEVEL);
  return new ConsoleLogger({ json, logLevels: LEVELS.slice(0, upTo + 1) });
}

/**
 * The settings as the environment gives them before configuration is validated (the
 * logger must exist first); anything unknown falls back to the defaults here, and the
 * validation that follows refuses it with a clear message.
 */
export function logSettingsFromEnv(env: NodeJS.ProcessEnv): LogSettings {
  const pick = <T extends string>(value: string | undefined, allowed: readonly T[], def: T): T =>
    allowed.includes(value as T) ? (value as T) : def;
  return {
    NODE_ENV: pick(env.NODE_ENV, ['development', 'production', 'test'], 'development'),
    LOG_FORMAT: pick(env.LOG_FORMAT, ['auto', 'json', 'pretty'], 'auto'),
    LOG_LEVEL: pick(env.LOG_LEVEL, ['error', 'warn', 'log', 'debug', 'verbose'], 'log'),
  };
}
