import { createLogger, logSettingsFromEnv } from '../../src/logger.js';

describe('logger settings', () => {
  it('writes LOG_LEVEL and every more severe level, nothing less severe', () => {
    const logger = createLogger({ NODE_ENV: 'production', LOG_FORMAT: 'auto', LOG_LEVEL: 'warn' });
    expect(['fatal', 'error', 'warn'].map((l) => logger.isLevelEnabled(l as 'warn'))).toEqual([
      true,
      true,
      true,
    ]);
    expect(logger.isLevelEnabled('log')).toBe(false);
    expect(logger.isLevelEnabled('debug')).toBe(false);
  });

  it('reads the environment before validation, unknown values left to the validation', () => {
    expect(logSettingsFromEnv({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug' })).toEqual({
      NODE_ENV: 'development',
      LOG_FORMAT: 'pretty',
      LOG_LEVEL: 'debug',
    });
    expect(logSettingsFromEnv({ NODE_ENV: 'production', LOG_FORMAT: 'yaml' })).toEqual({
      NODE_ENV: 'production',
      LOG_FORMAT: 'auto',
      LOG_LEVEL: 'log',
    });
  });
});
