import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/**
 * Connections this process holds, in total and per user. A slot is reserved synchronously
 * during the handshake (so concurrent handshakes never overshoot) and freed when the
 * underlying connection closes, whether or not the handshake completed.
 */
@Injectable()
export class ConnectionCapacity {
  private total = 0;
  private readonly perUser = new Map<string, number>();

  constructor(private readonly config: AppConfig) {}

  /** Reserves a slot; returns the limit that refused it, or a release function. */
  reserve(userId: string): { refused: 'instance' | 'user' } | { release: () => void } {
    if (this.total >= this.config.get('MAX_CONN_PER_INSTANCE')) {
      return { refused: 'instance' };
    }
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.config.get('MAX_CONN_PER_USER')) {
      return { refused: 'user' };
    }
    this.total++;
    this.perUser.set(userId, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) {
          return;
        }
        released = true;
        this.total--;
        const left = (this.perUser.get(userId) ?? 1) - 1;
        if (left > 0) {
          this.perUser.set(userId, left);
        } else {
          this.perUser.delete(userId);
        }
      },
    };
  }
}
