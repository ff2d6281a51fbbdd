import { Module } from '@nestjs/common';
import { ChannelAccess } from './channel-access.js';
import { LockGateway } from './lock.gateway.js';
import { LockReaper } from './lock-reaper.js';
import { LockService } from './lock.service.js';
import { MetadataGateway } from './metadata.gateway.js';
import { MetadataService } from './metadata.service.js';
import { RoomChannelRetention } from './room-channel-retention.js';

@Module({
  providers: [
    ChannelAccess,
    MetadataGateway,
    MetadataService,
    LockGateway,
    LockService,
    LockReaper,
    RoomChannelRetention,
  ],
  exports: [LockService, RoomChannelRetention],
})
export class MetadataModule {}
