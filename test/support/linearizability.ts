import { performance } from 'node:perf_hooks';
import type {
  Ack,
  ChannelRef,
  MetadataSnapshot,
  MetadataWriteResult,
} from '@avalon-realtime/client/protocol';
import { request, type TestSocket } from './client.js';

/**
 * A linearizability check for revision-CAS writes: writers increment one counter by
 * read-modify-write, every commit is recorded with its real-time window, and a commit
 * acknowledged before another was sent must hold the lower revision.
 */

/** Answers after which a writer re-reads and tries again. */
const RETRYABLE = new Set(['REVISION_CONFLICT', 'BUSY', 'UNAVAILABLE']);

export interface Commit {
  writer: number;
  value: number;
  revision: number;
  majorRevision: number;
  sentAt: number;
  receivedAt: number;
  /** metadata:set requests this increment took, the successful one included. */
  attempts: number;
}

export interface RunStats {
  commits: Commit[];
  conflicts: number;
  busy: number;
  unavailable: number;
  /** Acks that never came (a protocol violation: every request gets exactly one ack). */
  timeouts: number;
  /** Failed reads (UNAVAILABLE) before a write could be attempted. */
  readFailures: number;
  unexpected: string[];
}

export const counterOf = (items: { key: string; value: unknown; revision: number }[]) =>
  items.find((item) => item.key === 'counter') as { value: number; revision: number } | undefined;

/**
 * `writer` increments `counter` `times` by read-modify-write with the read revision,
 * re-reading after every refused or uncertain write, until `deadline`.
 */
export async function increments(
  socket: TestSocket,
  writer: number,
  channel: ChannelRef,
  times: number,
  stats: RunStats,
  deadline: number,
): Promise<void> {
  let done = 0;
  let attempts = 0;
  while (done < times) {
    if (Date.now() > deadline) {
      throw new Error(`writer ${writer} made ${done}/${times} increments before the deadline`);
    }
    let read: Ack<MetadataSnapshot>;
    try {
      read = await request<MetadataSnapshot>(socket, 'metadata:get', channel, 10_000);
    } catch {
      stats.timeouts++;
      continue;
    }
    if (!read.ok) {
      if (read.error.code !== 'UNAVAILABLE') {
        stats.unexpected.push(`get: ${read.error.code} ${read.error.message}`);
      }
      stats.readFailures++;
      continue;
    }
    const current = counterOf(read.data.items);
    if (!current) {
      throw new Error('counter missing');
    }
    attempts++;
    const sentAt = performance.now();
    let ack: Ack<MetadataWriteResult>;
    try {
      ack = await request<MetadataWriteResult>(
        socket,
        'metadata:set',
        {
          ...channel,
          items: [{ key: 'counter', value: current.value + 1, revision: current.revision }],
        },
        10_000,
      );
    } catch {
      stats.timeouts++;
      continue;
    }
    const receivedAt = performance.now();
    if (ack.ok) {
      const written = counterOf(ack.data.items);
      if (!written) {
        throw new Error('counter missing from a write ack');
      }
      stats.commits.push({
        writer,
        value: written.value,
        revision: written.revision,
        majorRevision: ack.data.majorRevision,
        sentAt,
        receivedAt,
        attempts,
      });
      attempts = 0;
      done++;
    } else if (RETRYABLE.has(ack.error.code)) {
      if (ack.error.code === 'REVISION_CONFLICT') stats.conflicts++;
      if (ack.error.code === 'BUSY') stats.busy++;
      if (ack.error.code === 'UNAVAILABLE') stats.unavailable++;
    } else {
      stats.unexpected.push(`set: ${ack.error.code} ${ack.error.message}`);
    }
  }
}

export const newStats = (): RunStats => ({
  commits: [],
  conflicts: 0,
  busy: 0,
  unavailable: 0,
  timeouts: 0,
  readFailures: 0,
  unexpected: [],
});

/** Pairs (x, y) where x's ack came before y was sent, yet y committed the lower revision. */
export function realTimeViolations(commits: Commit[]): string[] {
  const violations: string[] = [];
  for (const x of commits) {
    for (const y of commits) {
      if (x.receivedAt < y.sentAt && x.revision >= y.revision) {
        violations.push(`rev ${x.revision} acked before rev ${y.revision} was sent`);
      }
    }
  }
  return violations;
}

export function summary(label: string, stats: RunStats, ms: number, metrics: string[]): string {
  const attempts = stats.commits.map((c) => c.attempts).sort((x, y) => x - y);
  const total = attempts.reduce((sum, n) => sum + n, 0);
  const pct = (p: number) =>
    attempts[Math.min(attempts.length - 1, Math.floor(p * attempts.length))];
  return [
    `${label}: ${stats.commits.length} commits in ${ms} ms`,
    `metadata:set requests ${total}, attempts per commit mean ${(total / attempts.length).toFixed(2)}` +
      ` p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)} max ${attempts[attempts.length - 1]}`,
    `client retries: REVISION_CONFLICT ${stats.conflicts}, BUSY ${stats.busy}, UNAVAILABLE ${stats.unavailable}` +
      `, failed reads ${stats.readFailures}, ack timeouts ${stats.timeouts}`,
    ...metrics,
  ].join('\n  ');
}
