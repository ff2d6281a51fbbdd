import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode, type AuthRefreshResult } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';
import { JwtService } from './jwt.service.js';
import { TokenExpiryTracker } from './token-expiry.tracker.js';

/** The token a live socket runs on: a fresh one of the same user extends its life. */
@Injectable()
export class AuthService {
  constructor(
    private readonly jwt: JwtService,
    private readonly expiry: TokenExpiryTracker,
  ) {}

  /** An invalid token or another user's changes nothing: the old deadline stays. */
  async refresh(socket: AppSocket, token: string): Promise<AuthRefreshResult> {
    const { userId, exp } = await this.jwt.authenticate(token);
    if (userId !== socket.data.userId) {
      throw new AppError(ErrorCode.FORBIDDEN, "token is another user's: refresh with your own");
    }
    this.expiry.track(socket, exp);
    return { exp };
  }
}
