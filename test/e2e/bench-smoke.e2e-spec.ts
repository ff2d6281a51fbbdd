import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
const SUITES = ['heartbeat', 'connections', 'fanout', 'metadata', 'seeds', 'startup', 'shutdown'];

/** Every suite of `npm run bench` with tiny numbers: a few servers, a fraction of a second each. */
const SMOKE_FLAGS = [
  ['--suite', SUITES.join(',')],
  ['--targets', 'bare,memory'],
  ['--duration', '0.3'],
  ['--sockets', '4'],
  ['--rate', '20'],
  ['--idle-requests', '3'],
  ['--connections', '10'],
  ['--hold', '0.3'],
  ['--conn-interval', '100'],
  ['--members', '3'],
  ['--writers', '2'],
  ['--rooms', '2'],
  ['--users', '2'],
  ['--seed-interval', '100'],
  ['--startup-runs', '1'],
  ['--shutdown-sockets', '20'],
  ['--stuck-share', '0.2'],
  ['--shutdown-grace', '200'],
].flat();

interface SuiteRecord {
  suite: string;
  tables: { rows: { target: string }[] }[];
}

describe('npm run bench (smoke: tiny numbers, no timings asserted)', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every suite, printing a markdown table per suite and writing its JSON record', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [RUN, ...SMOKE_FLAGS, '--out', out], (error, output, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(output),
      );
    });

    const written = [...stdout.matchAll(/^wrote (.+\.json)$/gm)].map((match) => match[1]);
    const records = written.map((file) => JSON.parse(readFileSync(file, 'utf8')) as SuiteRecord);
    expect(records.map((record) => record.suite)).toEqual(SUITES);
    for (const record of records) {
      const targets = record.tables.flatMap((table) => table.rows.map((row) => row.target));
      expect(targets).toContain('memory');
    }
    expect(stdout).toMatch(/^\| server \| acks\/s \| vs bare \|/m);
    expect(stdout).toMatch(/^\| bare \| [\d.]+ \| ×1\.00 \|/m);
    expect(stdout).toMatch(/^\| server \| listening ms \| ready ms \| vs bare \|/m);
    expect(stdout).toMatch(
      /^\| server \| sockets \| not reading \| grace ms \| SIGTERM → exit ms \|/m,
    );
    expect(stdout.match(/^\|---/gm)).toHaveLength(8);
  }, 120_000);
});
