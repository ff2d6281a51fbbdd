/* global fetch */
// shutdown: N connected sockets of which a share stopped reading (a stopped process, a
// frozen phone: the TCP connection open, nothing read, no close frame ever answered), then
// SIGTERM. Time from the signal to the process's exit, its exit code, and what the live
// clients saw. `--main` points at another build's dist/main.js (a "before" figure).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { tokenFor } from '../lib/client.mjs';
import { measureOrFail } from '../lib/report.mjs';
import { freePort, launchSpec, usesRedis } from '../lib/servers.mjs';

/** One raw Socket.IO client; a stuck one stops reading once connected. */
function connectClient(url, userId, stuck) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    perMessageDeflate: false,
  });
  const seen = { notified: false, disconnected: false };
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame.startsWith('0{')) {
        ws.send(`40${JSON.stringify({ token: tokenFor(userId) })}`);
      } else if (frame.startsWith('40')) {
        if (stuck) {
          ws.pause();
        }
        resolve({ ws, seen });
      } else if (frame.startsWith('44')) {
        reject(new Error(`connect refused: ${frame.slice(2)}`));
      } else if (frame === '2') {
        ws.send('3');
      } else if (frame.startsWith('42["server:shutdown"')) {
        seen.notified = true;
      } else if (frame === '41') {
        // As socket.io-client does: the server's DISCONNECT closes the transport.
        seen.disconnected = true;
        ws.close();
      }
    });
    ws.on('error', () => {});
    ws.once('close', () => reject(new Error('closed during the handshake')));
  });
}

async function connectAll(url, count, stuckCount, concurrency = 100) {
  const clients = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      clients[i] = await connectClient(url, `shut-${i}`, i < stuckCount);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return clients;
}

async function startTarget(target, options, redis, port) {
  const spec = launchSpec(target, {
    node: options.node,
    redisUrl: usesRedis(target) ? redis.url : undefined,
    prefix: `shutdown-${target}-${port}`,
    env: { PORT: String(port), SHUTDOWN_GRACE_MS: String(options.shutdownGrace) },
  });
  const args = options.main ? [options.main] : spec.args;
  const child = spawn(spec.command, args, { ...spec.options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const res = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (res?.status === 200) {
      break;
    }
    if (child.exitCode !== null) {
      throw new Error(`server exited ${child.exitCode}: ${output.slice(-1000)}`);
    }
    await sleep(50);
  }
  return { child, url, exited, output: () => output };
}

/** The fields of the server's JSON log line whose message is `msg` (json in production). */
function logged(output, msg) {
  for (const line of output.split('\n')) {
    if (line.includes(`"${msg}"`)) {
      try {
        return JSON.parse(line).message;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

async function measure(target, options, redis) {
  const stuckCount = Math.round(options.shutdownSockets * options.stuckShare);
  const server = await startTarget(target, options, redis, await freePort());
  let clients = [];
  try {
    clients = await connectAll(server.url, options.shutdownSockets, stuckCount);
    const started = performance.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    const exitMs = performance.now() - started;
    const live = clients.slice(stuckCount);
    const terminating = logged(server.output(), 'shutdown: terminating transports still open');
    return {
      target,
      sockets: clients.length,
      stuck: stuckCount,
      graceMs: options.shutdownGrace,
      exitMs,
      afterGraceMs: exitMs - options.shutdownGrace,
      exitCode: code,
      liveNotified: live.filter(({ seen }) => seen.notified).length,
      liveDisconnected: live.filter(({ seen }) => seen.disconnected).length,
      terminated: terminating?.terminating ?? 'n/a',
      watchdog: logged(server.output(), 'shutdown watchdog: exiting with work pending')
        ? 'fired'
        : 'no',
    };
  } finally {
    clients.forEach(({ ws }) => ws.terminate());
    server.child.kill('SIGKILL');
  }
}

export async function shutdownSuite(options, { redis }) {
  const rows = [];
  for (const target of options.targets.filter((name) => name !== 'bare')) {
    console.error(`[shutdown] ${target}`);
    rows.push(await measureOrFail({ target }, () => measure(target, options, redis)));
  }
  const stuckPct = Math.round(options.stuckShare * 100);
  return {
    title: `shutdown: SIGTERM with ${options.shutdownSockets} sockets, ${stuckPct} % of them not reading`,
    tables: [
      {
        caption: `${options.shutdownSockets} raw-websocket clients on one process, of which ${stuckPct} % stopped reading right after connecting (TCP open, nothing read, no close frame answered); the others close on the server's DISCONNECT as socket.io-client does. SHUTDOWN_GRACE_MS=${options.shutdownGrace}; time from SIGTERM to the process's exit as the parent sees it.${options.main ? ` Server: ${options.main}.` : ''}`,
        columns: [
          ['target', 'server'],
          ['sockets', 'sockets'],
          ['stuck', 'not reading'],
          ['graceMs', 'grace ms'],
          ['exitMs', 'SIGTERM → exit ms'],
          ['afterGraceMs', 'beyond grace ms'],
          ['exitCode', 'exit code'],
          ['liveNotified', 'live got server:shutdown'],
          ['liveDisconnected', 'live got disconnect'],
          ['terminated', 'transports terminated'],
          ['watchdog', 'watchdog'],
        ],
        rows,
      },
    ],
  };
}
