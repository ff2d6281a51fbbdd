import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DemoStatic } from './demo-static.js';
import { DevOnlyGuard } from './dev-only.guard.js';
import { DevTokenController } from './dev-token.controller.js';
import { DevTokens } from './dev-tokens.js';

/**
 * The demo page (/demo, DEMO_PAGE) and its dev tokens (POST /demo/token, outside
 * production only). The page uses the client SDK's build like any game would.
 */
@Module({
  imports: [AuthModule],
  controllers: [DevTokenController],
  providers: [DemoStatic, DevTokens, DevOnlyGuard],
})
export class DemoModule {}
