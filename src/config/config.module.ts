import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { validateEnv } from './env.validate.js';

/** Validated settings from the environment (which wins) and `.env`, before anything connects. */
@Global()
@Module({
  imports: [NestConfigModule.forRoot({ cache: true, validate: validateEnv })],
  providers: [AppConfig],
  exports: [AppConfig],
})
export class ConfigModule {}
