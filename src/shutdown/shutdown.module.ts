import { Global, Module } from '@nestjs/common';
import { PresenceModule } from '../presence/presence.module.js';
import { ShutdownState } from './shutdown-state.js';
import { ShutdownService } from './shutdown.service.js';

@Global()
@Module({
  imports: [PresenceModule],
  providers: [ShutdownState, ShutdownService],
  exports: [ShutdownState, ShutdownService],
})
export class ShutdownModule {}
