import { AppProcess, runServerToExit } from '../support/app.js';

/** Start-up validation: a bad setting stops the process with a message naming it, never its value. */
describe('configuration at start-up', () => {
  it('refuses a non-numeric PRESENCE_TTL_MS, naming the variable but not the value', async () => {
    const { code, output } = await runServerToExit({ PRESENCE_TTL_MS: 'abc-secret-value' });
    expect(code).not.toBe(0);
    expect(output).toContain('PRESENCE_TTL_MS');
    expect(output).not.toContain('abc-secret-value');
    expect(output).not.toMatch(/listening on port/);
  });

  it('refuses transport ping interval + timeout that reach PRESENCE_TTL_MS', async () => {
    const { code, output } = await runServerToExit({
      PRESENCE_TTL_MS: '20000',
      SOCKET_PING_INTERVAL_MS: '10000',
      SOCKET_PING_TIMEOUT_MS: '10000',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('SOCKET_PING_INTERVAL_MS');
    expect(output).toContain('SOCKET_PING_TIMEOUT_MS');
    expect(output).toContain('PRESENCE_TTL_MS');
    expect(output).toMatch(/away/);
  });

  it('accepts transport ping interval + timeout just below PRESENCE_TTL_MS', async () => {
    const app = await AppProcess.start({
      env: {
        PRESENCE_TTL_MS: '20001',
        SOCKET_PING_INTERVAL_MS: '10000',
        SOCKET_PING_TIMEOUT_MS: '10000',
      },
    });
    expect(app.logs).toMatch(/listening on port/);
    await app.kill();
  });

  it('refuses PRESENCE_HEARTBEAT_INTERVAL_MS equal to PRESENCE_TTL_MS', async () => {
    const { code, output } = await runServerToExit({
      PRESENCE_TTL_MS: '30000',
      PRESENCE_HEARTBEAT_INTERVAL_MS: '30000',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('PRESENCE_HEARTBEAT_INTERVAL_MS');
    expect(output).toContain('PRESENCE_TTL_MS');
  });

  it('refuses NODE_ENV=production without AUTH_JWT_SECRET (empty counts as unset)', async () => {
    const { code, output } = await runServerToExit({ NODE_ENV: 'production', AUTH_JWT_SECRET: '' });
    expect(code).not.toBe(0);
    expect(output).toContain('AUTH_JWT_SECRET');
    expect(output).toContain('production');
  });

  it('refuses an unknown PRESENCE_HEARTBEAT_MODE, listing the allowed ones', async () => {
    const { code, output } = await runServerToExit({ PRESENCE_HEARTBEAT_MODE: 'fast' });
    expect(code).not.toBe(0);
    expect(output).toContain('PRESENCE_HEARTBEAT_MODE');
    expect(output).toMatch(/lua/);
    expect(output).toMatch(/batched/);
  });

  it('lists every invalid variable at once', async () => {
    const { code, output } = await runServerToExit({ PRESENCE_TTL_MS: 'x', ROOM_MAX_MEMBERS: '0' });
    expect(code).not.toBe(0);
    expect(output).toContain('PRESENCE_TTL_MS');
    expect(output).toContain('ROOM_MAX_MEMBERS');
  });

  it('starts without AUTH_JWT_SECRET outside production, with a loud warning', async () => {
    const app = await AppProcess.start({ env: { AUTH_JWT_SECRET: '' } });
    try {
      expect(app.logs).toMatch(/AUTH_JWT_SECRET/);
      expect(app.logs).toMatch(/warn/i);
    } finally {
      await app.kill();
    }
  });
});
