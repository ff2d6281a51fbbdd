// metadata: W writers on two processes (Redis) each incrementing one room-channel item by
// read + revision-CAS write, retrying on REVISION_CONFLICT: attempts per commit, commits/s
// and lost updates (the final value against the commits acknowledged: must be 0).
import { performance } from 'node:perf_hooks';
import { CLUSTER_NOTE } from '../lib/redis-cluster.mjs';
import { measureOrFail, ratio, ratiosToLua } from '../lib/report.mjs';
import { redisDelta, redisOf, redisSettings, startServers, usesRedis } from '../lib/servers.mjs';
import { closeAll, ErrorTally, joinSessions } from '../lib/sessions.mjs';

const KEY = 'counter';

const read = async (session) => {
  const ack = await session.socket.request('metadata:get', {
    channelType: 'room',
    channelName: session.roomId,
  });
  const item = ack.data.items.find(({ key }) => key === KEY);
  return { value: item?.value ?? 0, revision: item?.revision ?? 0 };
};

/** Increments until the deadline; every attempt is one revision-CAS write. */
async function incrementLoop(session, deadline, tally) {
  let current = await read(session);
  while (performance.now() < deadline) {
    tally.attempts++;
    const ack = await session.socket.request('metadata:set', {
      channelType: 'room',
      channelName: session.roomId,
      items: [{ key: KEY, value: current.value + 1, revision: current.revision }],
    });
    if (ack.ok) {
      tally.commits++;
      const item = ack.data.items.find(({ key }) => key === KEY);
      current = { value: item.value, revision: item.revision };
      continue;
    }
    const code = ack.error.code;
    if (code === 'REVISION_CONFLICT') {
      tally.conflicts++;
    } else if (code === 'BUSY') {
      tally.busy++;
    } else {
      tally.errors.add(ack);
    }
    current = await read(session);
  }
}

async function measure(target, writers, options, stores) {
  const redis = redisOf(target, stores);
  const servers = await startServers(target, usesRedis(target) ? 2 : 1, {
    node: options.node,
    ...redisSettings(target, stores),
    prefix: `meta-${target}-${Date.now()}`,
  });
  let sessions = [];
  try {
    sessions = await joinSessions(servers, writers, writers, `meta${writers}`);
    const tally = { attempts: 0, commits: 0, conflicts: 0, busy: 0, errors: new ErrorTally() };
    const redisBefore = await redis.reading();
    const started = performance.now();
    const deadline = started + options.duration * 1000;
    await Promise.all(sessions.map((session) => incrementLoop(session, deadline, tally)));
    const elapsedS = (performance.now() - started) / 1000;
    const work = redisDelta(redisBefore, await redis.reading());
    const final = await read(sessions[0]);
    return {
      target,
      processes: servers.length,
      writers,
      commitsPerS: tally.commits / elapsedS,
      attemptsPerCommit: tally.attempts / Math.max(1, tally.commits),
      conflicts: tally.conflicts,
      busy: tally.busy,
      errors: tally.errors,
      redisCallsPerCommit: usesRedis(target) ? work.total / Math.max(1, tally.commits) : null,
      redisCpuUsPerCommit: usesRedis(target) ? work.cpuUs / Math.max(1, tally.commits) : null,
      lostUpdates: tally.commits - final.value,
    };
  } finally {
    closeAll(sessions);
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Shown when the run has the cluster target: Redis's CPU, against lua on one Redis. */
const CLUSTER_COLUMNS = [
  ['redisCpuUsPerCommit', 'Redis CPU µs/commit'],
  ['redisCpuUsPerCommitVsLua', 'vs lua'],
];

export async function metadataSuite(options, stores) {
  const withCluster = options.targets.includes('cluster');
  const rows = [];
  const targets = options.targets.filter((target) => target !== 'bare');
  for (const writers of options.writers) {
    const group = [];
    for (const target of targets) {
      console.error(`[metadata] ${writers} writers, ${target}`);
      group.push(
        await measureOrFail({ target, writers }, () => measure(target, writers, options, stores)),
      );
    }
    const first = group[0] ?? {};
    for (const row of group) {
      row.commitsRatio = ratio(row.commitsPerS, first.commitsPerS);
    }
    if (withCluster) {
      ratiosToLua(group, ['commitsPerS', 'redisCpuUsPerCommit']);
    }
    rows.push(...group);
  }
  return {
    title: 'metadata: concurrent revision-CAS increments of one item',
    tables: [
      {
        caption: `Each writer reads the item, then writes value + 1 with the revision it read, re-reading after REVISION_CONFLICT or BUSY, for ${options.duration} s. Redis targets: two processes, writers alternating between them; memory: one process. "vs ${targets[0]}" compares commits/s within a writer count (bare Socket.IO has no metadata to compare with).`,
        columns: [
          ['writers', 'writers'],
          ['target', 'server'],
          ['processes', 'processes'],
          ['commitsPerS', 'commits/s'],
          ['commitsRatio', `vs ${targets[0]}`],
          ...(withCluster && targets[0] !== 'lua' ? [['commitsPerSVsLua', 'vs lua']] : []),
          ['attemptsPerCommit', 'attempts/commit'],
          ['conflicts', 'conflicts'],
          ['busy', 'BUSY'],
          ['redisCallsPerCommit', 'Redis calls/commit'],
          ...(withCluster ? CLUSTER_COLUMNS : []),
          ['lostUpdates', 'lost updates'],
          ['errors', 'errors'],
        ],
        rows,
      },
    ],
    notes: withCluster ? [CLUSTER_NOTE] : undefined,
  };
}
