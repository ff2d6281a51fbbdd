// The e2e and fault suites run the real server as child processes (`node dist/main.js`),
// so build once per run, whichever projects are selected.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  if (process.env.AVALON_TEST_BUILT) {
    return;
  }
  execFileSync('npx', ['--no-install', 'nest', 'build'], { stdio: 'inherit' });
  process.env.AVALON_TEST_BUILT = '1';
}
