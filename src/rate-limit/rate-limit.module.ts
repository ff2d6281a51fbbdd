import { Global, Module } from '@nestjs/common';
import { ConnectionCapacity } from './connection-capacity.js';
import { Limiters } from './limiters.js';

@Global()
@Module({ providers: [Limiters, ConnectionCapacity], exports: [Limiters, ConnectionCapacity] })
export class RateLimitModule {}
