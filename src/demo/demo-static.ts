import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ExpressAdapter } from '@nestjs/platform-express';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config.js';
import {
  demoContentSecurityPolicy,
  locateDemoAssets,
  missingAssets,
  readIndexHtml,
  type DemoAssets,
} from './demo-assets.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** DEMO_PAGE: `on`, `off`, or `auto` = on unless NODE_ENV is production. */
export function demoPageEnabled(config: AppConfig): boolean {
  const mode = config.get('DEMO_PAGE');
  return mode === 'on' || (mode === 'auto' && !config.isProduction);
}

/**
 * Serves the demo page under /demo when DEMO_PAGE allows it: the page's files, the SDK's
 * build at /demo/sdk/ and socket.io-client's ES module at /demo/vendor/socket.io-client.js,
 * through Express's static serving. Disabled, nothing is mounted and /demo answers 404.
 * Registered at module init, after Nest's routes (POST /demo/token stays a route) and
 * before its 404 handler.
 */
@Injectable()
export class DemoStatic implements OnModuleInit {
  private readonly logger = new Logger(DemoStatic.name);

  constructor(
    private readonly config: AppConfig,
    private readonly host: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (!demoPageEnabled(this.config)) {
      return;
    }
    const assets = locateDemoAssets();
    const missing = missingAssets(assets);
    if (missing.length > 0) {
      this.logger.warn({ msg: 'demo page files missing: run `npm run build`', missing });
    }
    const adapter = this.host.httpAdapter as ExpressAdapter;
    adapter.use('/demo', headers(demoContentSecurityPolicy(readIndexHtml(assets))));
    adapter.use('/demo/vendor/socket.io-client.js', javascriptFile(assets.socketIoBundle));
    adapter.useStaticAssets(assets.sdkDir, { prefix: '/demo/sdk', index: false, redirect: false });
    // /demo redirects to /demo/, where index.html is.
    adapter.useStaticAssets(assets.pageDir, { prefix: '/demo', index: 'index.html' });
    this.logger.log({ msg: 'demo page at /demo' });
  }
}

/** Headers of every /demo response; no file is fingerprinted, so none is cached unchecked. */
function headers(csp: string): Middleware {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}

/** One file held in memory, answered to GET and HEAD at exactly its mount path. */
function javascriptFile(path: DemoAssets['socketIoBundle']): Middleware {
  const body = existsSync(path) ? readFileSync(path) : undefined;
  return (req, res, next) => {
    const exact = req.url === '/' || req.url?.startsWith('/?');
    if (!body || !exact || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next();
      return;
    }
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
