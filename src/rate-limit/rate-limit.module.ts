import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ConnectionCapacity } from './connection-capacity.js';
import { Limiters } from './limiters.js';
import { PresenceExemption } from './presence-exemption.js';

@Global()
@Module({
  imports: [AuthModule],
  providers: [Limiters, ConnectionCapacity, PresenceExemption],
  exports: [Limiters, ConnectionCapacity, PresenceExemption],
})
export class RateLimitModule {}
