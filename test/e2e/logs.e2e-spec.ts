import { AppProcess } from '../support/app.js';
import { jsonLines } from '../support/ops.js';

describe('log format', () => {
  const apps: AppProcess[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.kill('SIGTERM')));
  });

  it('LOG_FORMAT=json writes one JSON object per line', async () => {
    const app = await AppProcess.start({ env: { LOG_FORMAT: 'json' } });
    apps.push(app);
    const lines = jsonLines(app.logs);
    expect(lines.find((line) => String(line.message).startsWith('listening on port'))).toEqual(
      expect.objectContaining({ level: 'log', context: 'Main' }),
    );
  });

  it('LOG_FORMAT=pretty writes lines for a person, with level and context', async () => {
    const app = await AppProcess.start({ env: { LOG_FORMAT: 'pretty' } });
    apps.push(app);
    const listening = app.logs.split('\n').find((line) => line.includes('listening on port'));
    expect(listening).toMatch(/LOG \[Main\] listening on port \d+ \(engine: memory/);
    expect(() => jsonLines(app.logs)).toThrow(/not JSON/);
  });
});
