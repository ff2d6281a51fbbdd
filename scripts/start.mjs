// `npm start`: builds only when dist/ is missing or older than what it is built from, then
// runs the server in this process (no second Node start-up; signals reach it directly).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'main.js');
const NEST = join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** Written after a successful build only, so a build that failed half-way is never current. */
const STAMP = join(ROOT, 'dist', '.built');
const INPUTS = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
  'package.json',
  'package-lock.json',
  // The server imports the wire protocol from the client SDK's build.
  'packages/client/src',
  'packages/client/package.json',
  'packages/client/tsconfig.json',
];

function newestInputMs() {
  let newest = 0;
  for (const input of INPUTS) {
    const path = join(ROOT, input);
    if (!existsSync(path)) {
      continue;
    }
    const files = statSync(path).isDirectory()
      ? [path, ...readdirSync(path, { recursive: true }).map((name) => join(path, name))]
      : [path];
    for (const file of files) {
      newest = Math.max(newest, statSync(file).mtimeMs);
    }
  }
  return newest;
}

function isCurrent() {
  return existsSync(MAIN) && existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestInputMs();
}

function build() {
  // The stamp takes the time the build began: a source saved during the build is newer.
  const began = new Date();
  for (const args of [[TSC, '-p', 'packages/client/tsconfig.json'], [NEST, 'build']]) {
    const { status } = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    if (status !== 0) {
      process.exit(status ?? 1);
    }
  }
  writeFileSync(STAMP, '');
  utimesSync(STAMP, began, began);
}

if (!isCurrent()) {
  build();
}
await import(pathToFileURL(MAIN).href);
