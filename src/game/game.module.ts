import { Module } from '@nestjs/common';
import { cryptoRandom } from './crypto-random.js';
import { GameTimers } from './game-timers.js';
import { GameUpdates } from './game-updates.js';
import { GameGateway } from './game.gateway.js';
import { GameService } from './game.service.js';
import { GAME_RANDOM } from './rules/game-random.js';

/** Avalon on the server (GAME.md): requests, per-player views, updates and turn timers. */
@Module({
  providers: [
    GameGateway,
    GameService,
    GameUpdates,
    GameTimers,
    { provide: GAME_RANDOM, useValue: cryptoRandom },
  ],
})
export class GameModule {}
