import { Injectable } from '@nestjs/common';
import { PresenceEngine } from '../engine/presence.engine.js';

/**
 * Over the ceiling of valid handshakes per IP, a returning player still passes: a user who
 * holds a presence connection (online or away), as after a restart, many players behind
 * one NAT. Asked only when the ceiling would refuse, so its storage read never burdens
 * ordinary handshakes; the token was verified already.
 */
@Injectable()
export class PresenceExemption {
  constructor(private readonly presence: PresenceEngine) {}

  /** Whether `userId` is present somewhere; false on any doubt. */
  async applies(userId: string): Promise<boolean> {
    try {
      return (await this.presence.listForUser(userId)).length > 0;
    } catch {
      return false;
    }
  }
}
