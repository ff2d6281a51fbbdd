import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { StorageBackend, type LimiterBudget } from './storage-backend.js';

/** One process, nothing to connect: Socket.IO's default adapter and in-memory limiters. */
export class MemoryBackend extends StorageBackend {
  readonly name = 'memory';

  attachAdapter(): void {}

  limiter(budget: LimiterBudget): RateLimiterAbstract {
    return new RateLimiterMemory(budget);
  }

  readiness(): Record<string, boolean> {
    return {};
  }

  up(): undefined {
    return undefined;
  }
}
