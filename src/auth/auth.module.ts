import { Module } from '@nestjs/common';
import { AuthGateway } from './auth.gateway.js';
import { AuthService } from './auth.service.js';
import { JwtService } from './jwt.service.js';
import { TokenExpiryTracker } from './token-expiry.tracker.js';

@Module({
  providers: [JwtService, TokenExpiryTracker, AuthService, AuthGateway],
  exports: [JwtService],
})
export class AuthModule {}
