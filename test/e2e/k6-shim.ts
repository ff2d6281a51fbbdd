import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { handshakeToken, type JwtCodec } from '../../k6/lib/jwt.js';
import type { Clock, Recorder, Runtime } from '../../k6/lib/types.js';
import { TEST_JWT_SECRET } from '../support/tokens.js';

/**
 * What the k6 modules give a scenario, in Node: `ws` websockets, Node timers, and a
 * recorder that keeps every check and sample for the test to read.
 */
export class NodeRecorder implements Recorder {
  readonly checks = new Map<string, { passed: number; failed: number }>();
  readonly samples = new Map<string, number[]>();
  readonly counts = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  check(name: string, passed: boolean): boolean {
    const tally = this.checks.get(name) ?? { passed: 0, failed: 0 };
    tally[passed ? 'passed' : 'failed']++;
    this.checks.set(name, tally);
    this.recorded();
    return passed;
  }

  time(metric: string, ms: number): void {
    this.samples.set(metric, [...(this.samples.get(metric) ?? []), ms]);
    this.recorded();
  }

  count(metric: string, n = 1): void {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + n);
    this.recorded();
  }

  /** Resolves once `holds()` is true after some record (a test waits on the scenario's progress). */
  until(holds: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const listener = () => {
        if (holds()) {
          this.listeners.delete(listener);
          resolve();
        }
      };
      this.listeners.add(listener);
      listener();
    });
  }

  /** The names of checks that failed at least once (what k6 would print with ✗). */
  failedChecks(): string[] {
    return [...this.checks].filter(([, tally]) => tally.failed > 0).map(([name]) => name);
  }

  sampleCount(metric: string): number {
    return this.samples.get(metric)?.length ?? 0;
  }

  counted(metric: string): number {
    return this.counts.get(metric) ?? 0;
  }

  private recorded(): void {
    [...this.listeners].forEach((listener) => listener());
  }
}

/** k6/encoding and k6/crypto, as Node spells them. */
export const nodeCodec: JwtCodec = {
  base64url: (text) => Buffer.from(text).toString('base64url'),
  hmacSha256Base64url: (secret, text) =>
    createHmac('sha256', secret).update(text).digest('base64url'),
};

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The runtime k6-runtime.js builds in k6, with tokens signed by the scripts' own signer. */
export function nodeRuntime(secret = TEST_JWT_SECRET): {
  runtime: Runtime;
  recorder: NodeRecorder;
} {
  const recorder = new NodeRecorder();
  const runtime: Runtime = {
    openSocket: (url) => new WebSocket(url),
    clock: nodeClock,
    record: recorder,
    tokenFor: (userId) =>
      handshakeToken(userId, secret, Date.now(), { expiresInS: 600 }, nodeCodec),
  };
  return { runtime, recorder };
}
