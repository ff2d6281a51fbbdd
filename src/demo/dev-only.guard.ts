import { Injectable, NotFoundException, type CanActivate } from '@nestjs/common';
import { DevTokens } from './dev-tokens.js';

/** Where dev tokens are not minted, POST /demo/token does not exist: 404, as any unknown path. */
@Injectable()
export class DevOnlyGuard implements CanActivate {
  constructor(private readonly tokens: DevTokens) {}

  canActivate(): boolean {
    if (!this.tokens.available) {
      throw new NotFoundException();
    }
    return true;
  }
}
