import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { ConfigModule } from './config/config.module.js';
import { DemoModule } from './demo/demo.module.js';
import { EngineModule } from './engine/engine.module.js';
import { GameModule } from './game/game.module.js';
import { HealthModule } from './health/health.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { MetadataModule } from './metadata/metadata.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PresenceModule } from './presence/presence.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RedisModule } from './redis/redis.module.js';
import { ShutdownModule } from './shutdown/shutdown.module.js';
import { SocketModule } from './socket/socket.module.js';

@Module({
  imports: [
    ConfigModule,
    MetricsModule,
    RedisModule,
    EngineModule,
    AuthModule,
    RateLimitModule,
    SocketModule,
    PresenceModule,
    MetadataModule,
    MessagesModule,
    GameModule,
    HealthModule,
    DemoModule,
    ShutdownModule,
  ],
})
export class AppModule {}
