import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the demo page's files are, found from this file's place in dist/. */
export interface DemoAssets {
  /** index.html, app.js, style.css: copied to dist/demo/public by nest-cli `assets`. */
  pageDir: string;
  /** The SDK's browser build (packages/client/dist), served as ES modules. */
  sdkDir: string;
  /** socket.io-client's self-contained ES module bundle. */
  socketIoBundle: string;
}

/**
 * The SDK from the repository (dist/demo/… → ../../packages/client/dist), not through
 * node_modules: that is the build `npm run build` just made, whichever way the workspace
 * is linked. socket.io-client from its package, whose exports only open package.json.
 */
export function locateDemoAssets(): DemoAssets {
  const here = import.meta.url;
  const socketIoPackage = createRequire(here).resolve('socket.io-client/package.json');
  return {
    pageDir: fileURLToPath(new URL('./public/', here)),
    sdkDir: fileURLToPath(new URL('../../packages/client/dist/', here)),
    socketIoBundle: join(dirname(socketIoPackage), 'dist', 'socket.io.esm.min.js'),
  };
}

/** The parts of DemoAssets that are missing (a build step not run), for a start-up warning. */
export function missingAssets(assets: DemoAssets): string[] {
  const expected = [
    join(assets.pageDir, 'index.html'),
    join(assets.sdkDir, 'index.js'),
    assets.socketIoBundle,
  ];
  return expected.filter((path) => !existsSync(path));
}

const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/;

/**
 * The Content-Security-Policy of every /demo response: scripts and styles from this
 * origin only, plus the page's inline import map by its hash (browsers load import maps
 * inline only); connections to this origin and WebSockets.
 */
export function demoContentSecurityPolicy(indexHtml: string): string {
  const importMap = IMPORT_MAP.exec(indexHtml)?.[1];
  const hash = importMap
    ? ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`
    : '';
  return [
    "default-src 'self'",
    `script-src 'self'${hash}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** index.html's text, or '' when it is missing (the warning has said so). */
export function readIndexHtml(assets: DemoAssets): string {
  const path = join(assets.pageDir, 'index.html');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
