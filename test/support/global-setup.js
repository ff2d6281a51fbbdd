// The e2e and fault suites run the real server as child processes (`node dist/main.js`),
// so build once per run (the client SDK, then the server), whichever projects are selected.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  if (process.env.AVALON_TEST_BUILT) {
    return;
  }
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  process.env.AVALON_TEST_BUILT = '1';
}
