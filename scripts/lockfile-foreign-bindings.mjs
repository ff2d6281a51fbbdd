// `npm ci` wants every optional platform binary of unrs-resolver (jest 30's resolver) in
// package-lock.json, but a registry mirror that serves only some platforms leaves the
// others out when the lock is written, and `npm ci` then calls the lock out of sync.
// This adds the missing entries as optional packages for their platform only, which npm
// skips on every other platform without fetching. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const resolver = lock.packages['node_modules/unrs-resolver'];

const platformOf = (name) => {
  const [, os, cpu, abi = ''] = /resolver-binding-([a-z0-9]+)-([a-z0-9]+)-?(.*)$/.exec(name);
  const libc = abi.startsWith('musl') ? 'musl' : abi.startsWith('gnu') ? 'glibc' : undefined;
  return { os, cpu, libc };
};

let added = 0;
for (const [name, version] of Object.entries(resolver?.optionalDependencies ?? {})) {
  const path = `node_modules/${name}`;
  if (lock.packages[path]) {
    continue;
  }
  const { os, cpu, libc } = platformOf(name);
  lock.packages[path] = {
    version,
    cpu: [cpu],
    dev: true,
    ...(libc ? { libc: [libc] } : {}),
    license: 'MIT',
    optional: true,
    os: [os],
  };
  added++;
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} foreign platform entries added`);
