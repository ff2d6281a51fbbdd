import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { ClientEvent } from '@avalon-realtime/client/protocol';
import { RequestGateway } from '../common/errors/request-gateway.decorator.js';
import type { AppSocket } from '../socket/socket-types.js';
import {
  GameAssassinateDto,
  GameCreateDto,
  GameProposeDto,
  GameQuestDto,
  GameRoomDto,
  GameSitDto,
  GameVoteDto,
} from './game.dto.js';
import { GameService } from './game.service.js';

/** The game's requests (GAME.md). The actor is the socket's user, never the payload's. */
@RequestGateway()
export class GameGateway {
  constructor(private readonly games: GameService) {}

  @SubscribeMessage(ClientEvent.GameCreate)
  create(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameCreateDto) {
    const roles = dto.roles && { ...dto.roles };
    return this.games.act(dto.roomId, socket.data.userId, {
      type: 'create',
      roomId: dto.roomId,
      roles,
    });
  }

  @SubscribeMessage(ClientEvent.GameSit)
  sit(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameSitDto) {
    return this.games.act(dto.roomId, socket.data.userId, { type: 'sit', seat: dto.seat });
  }

  @SubscribeMessage(ClientEvent.GameStand)
  stand(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameRoomDto) {
    return this.games.act(dto.roomId, socket.data.userId, { type: 'stand' });
  }

  @SubscribeMessage(ClientEvent.GameStart)
  start(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameRoomDto) {
    return this.games.act(dto.roomId, socket.data.userId, { type: 'start' });
  }

  @SubscribeMessage(ClientEvent.GameView)
  view(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameRoomDto) {
    return this.games.view(dto.roomId, socket.data.userId);
  }

  @SubscribeMessage(ClientEvent.GamePropose)
  propose(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameProposeDto) {
    return this.games.act(dto.roomId, socket.data.userId, { type: 'propose', team: dto.team });
  }

  @SubscribeMessage(ClientEvent.GameVote)
  vote(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameVoteDto) {
    return this.games.act(dto.roomId, socket.data.userId, { type: 'vote', approve: dto.approve });
  }

  @SubscribeMessage(ClientEvent.GameQuest)
  quest(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameQuestDto) {
    return this.games.act(dto.roomId, socket.data.userId, {
      type: 'quest',
      success: dto.success,
    });
  }

  @SubscribeMessage(ClientEvent.GameAssassinate)
  assassinate(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameAssassinateDto) {
    return this.games.act(dto.roomId, socket.data.userId, {
      type: 'assassinate',
      target: dto.target,
    });
  }

  @SubscribeMessage(ClientEvent.GameEnd)
  end(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: GameRoomDto) {
    return this.games.act(dto.roomId, socket.data.userId, { type: 'end' });
  }
}
