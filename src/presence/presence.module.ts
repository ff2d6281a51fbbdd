import { Module } from '@nestjs/common';
import { MetadataModule } from '../metadata/metadata.module.js';
import { HeartbeatSender } from './heartbeat-sender.js';
import { PresenceGateway } from './presence.gateway.js';
import { PresenceReaper } from './presence-reaper.js';
import { PresenceService } from './presence.service.js';
import { RoomBudget } from './room-budget.js';
import { SessionRegistry } from './session-registry.js';

@Module({
  imports: [MetadataModule],
  providers: [
    PresenceGateway,
    PresenceService,
    HeartbeatSender,
    PresenceReaper,
    SessionRegistry,
    RoomBudget,
  ],
  exports: [PresenceService, HeartbeatSender],
})
export class PresenceModule {}
