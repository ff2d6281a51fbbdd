// The e2e suites run the real server as child processes (`node dist/main.js`), so build once.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  execFileSync('npx', ['--no-install', 'nest', 'build'], { stdio: 'inherit' });
}
