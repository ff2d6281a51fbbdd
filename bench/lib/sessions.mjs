// Joined clients and the request loops the suites drive them with.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectMany, inBatches } from './client.mjs';

const JOIN_ATTEMPTS = 5;

/** Joins, again after a refusal that asks to retry (an overloaded machine times storage out). */
async function join(socket, payload, refusals) {
  for (let attempt = 1; ; attempt++) {
    const ack = await socket.request('presence:join', payload);
    if (ack.ok) {
      return ack.data;
    }
    refusals.add(ack);
    const retry = ack.error.code === 'UNAVAILABLE' || ack.error.code === 'OVERLOADED';
    if (!retry || attempt === JOIN_ATTEMPTS) {
      throw new Error(`join refused: ${JSON.stringify(ack.error)}`);
    }
    await sleep(100 * attempt);
  }
}

/**
 * `count` sockets of distinct users, spread round-robin over `servers`, each joined to room
 * `<tag>-r<i / perRoom>`; resolves with `{ socket, roomId, connId, epoch, userId }` each.
 * Refused joins (retried) are counted in `refusals`.
 */
export async function joinSessions(servers, count, perRoom, tag, refusals = new ErrorTally()) {
  const users = Array.from({ length: count }, (_, i) => `${tag}-u${i}`);
  const sockets = await connectMany(users, (i) => servers[i % servers.length].url, 50);
  return inBatches(
    sockets,
    async (socket, i) => {
      const roomId = `${tag}-r${Math.floor(i / perRoom)}`;
      const connId = `c${i}`;
      const { epoch } = await join(socket, { roomId, connId }, refusals);
      return { socket, roomId, connId, epoch, userId: users[i] };
    },
    50,
  );
}

/** Refused requests by error code; prints as `3 (UNAVAILABLE 2, CLOSED 1)`. */
export class ErrorTally {
  total = 0;
  #byCode = new Map();

  /** Counts `ack` if it is a refusal; returns whether it was accepted. */
  add(ack) {
    if (!ack.ok) {
      this.addCount(ack.error?.code ?? 'UNKNOWN', 1);
    }
    return ack.ok;
  }

  addCount(code, count) {
    if (count > 0) {
      this.total += count;
      this.#byCode.set(code, (this.#byCode.get(code) ?? 0) + count);
    }
  }

  toString() {
    const codes = [...this.#byCode].map(([code, count]) => `${code} ${count}`).join(', ');
    return this.total === 0 ? '0' : `${this.total} (${codes})`;
  }

  toJSON() {
    return { total: this.total, byCode: Object.fromEntries(this.#byCode) };
  }
}

export const closeAll = (sessions) => sessions.forEach(({ socket }) => socket.close());

/** An unchanged heartbeat (or one carrying `statePatch`): resolves with the ack. */
export const heartbeat = (session, statePatch) =>
  session.socket.request('presence:heartbeat', {
    roomId: session.roomId,
    connId: session.connId,
    epoch: session.epoch,
    ...(statePatch ? { statePatch } : {}),
  });

/** Every session sends its next heartbeat when the last ack arrives, for `seconds`. */
export async function closedLoop(sessions, seconds) {
  let acks = 0;
  const errors = new ErrorTally();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < deadline) {
        // Not `acks += …await…`: that would read acks before the await and lose counts.
        const ack = await heartbeat(session);
        if (errors.add(ack)) {
          acks++;
        }
      }
    }),
  );
  return { acks, errors, elapsedS: (performance.now() - started) / 1000 };
}

/**
 * Open loop: `rate` heartbeats per second over the sessions in turn for `seconds`, whatever
 * the acks do. Latency runs from when each request was due, so a stalled server is not
 * hidden by a stalled generator.
 */
export async function openLoop(sessions, rate, seconds) {
  const latencies = [];
  const errors = new ErrorTally();
  const inFlight = [];
  const started = performance.now();
  const total = Math.round(rate * seconds);
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const dueAt = started + (sent * 1000) / rate;
      const request = heartbeat(sessions[sent % sessions.length]).then((ack) => {
        latencies.push(performance.now() - dueAt);
        errors.add(ack);
      });
      inFlight.push(request);
    }
    await sleep(Math.max(1, started + (sent * 1000) / rate - performance.now()));
  }
  await Promise.all(inFlight);
  return { latencies, errors, sent: total };
}

/** `count` heartbeats one after another from one session: the unloaded round trip. */
export async function idleLatency(session, count) {
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await heartbeat(session);
    latencies.push(performance.now() - t0);
    await sleep(2);
  }
  return latencies;
}

const LOOP_RESOLUTION_MS = 10;

/**
 * The generator's own event-loop delay while `work` runs, beyond the sampler's interval: a
 * stall here inflates every latency it measures, whatever the server did.
 */
export async function generatorDelay(work) {
  const delay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  delay.enable();
  try {
    const result = await work();
    const beyond = (ns) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
    return {
      result,
      delayP99Ms: beyond(delay.percentile(99)),
      delayMaxMs: beyond(delay.max),
    };
  } finally {
    delay.disable();
  }
}

/**
 * Every session heartbeats once per `intervalMs` (phases spread evenly) for `seconds`; with
 * `changing`, every other beat patches the state. Resolves with latencies (ms) and errors.
 */
export async function periodicHeartbeats(sessions, intervalMs, seconds, { changing = false } = {}) {
  const latencies = [];
  const errors = new ErrorTally();
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    sessions.map(async (session, i) => {
      await sleep((i / sessions.length) * intervalMs);
      for (let beat = 1; performance.now() < deadline; beat++) {
        const t0 = performance.now();
        const ack = await heartbeat(session, changing && beat % 2 ? { beat } : undefined);
        latencies.push(performance.now() - t0);
        errors.add(ack);
        await sleep(Math.max(0, intervalMs - (performance.now() - t0)));
      }
    }),
  );
  return { latencies, errors };
}

/** The lowest heap (closest to after a GC) and the last RSS over a few readings. */
export async function settledMemory(server, readings = 5) {
  let heapUsed = Infinity;
  let rss = 0;
  for (let i = 0; i < readings; i++) {
    const memory = await server.memory();
    heapUsed = Math.min(heapUsed, memory.heapUsed);
    rss = memory.rss;
    await sleep(100);
  }
  return { heapUsed, rss };
}
