import { Injectable } from '@nestjs/common';
import { JwtService } from '../auth/jwt.service.js';
import { PresenceEngine } from '../engine/presence.engine.js';

/**
 * The per-IP limit does not count a returning player: a valid token of a user who holds a
 * presence connection (online or away), so the reconnect wave after a restart, many
 * players behind one NAT, passes. Asked only when the limit would refuse, so its storage
 * read never burdens ordinary handshakes.
 */
@Injectable()
export class PresenceExemption {
  constructor(
    private readonly jwt: JwtService,
    private readonly presence: PresenceEngine,
  ) {}

  /** Whether `token` is valid and its user is present somewhere; false on any doubt. */
  async applies(token: unknown): Promise<boolean> {
    try {
      const userId = await this.jwt.verify(token);
      return (await this.presence.listForUser(userId)).length > 0;
    } catch {
      return false;
    }
  }
}
