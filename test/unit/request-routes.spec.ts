import 'reflect-metadata';
import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { AppError } from '../../src/common/errors/app-error.js';
import { ListDto } from '../../src/presence/presence.dto.js';
import { routesOf } from '../../src/socket/request-routes.js';
import type { AppSocket } from '../../src/socket/socket-types.js';

class ListingGateway {
  @SubscribeMessage('presence:list')
  list(@MessageBody() dto: ListDto) {
    return { listed: dto.roomId };
  }

  @SubscribeMessage('presence:user')
  user(@MessageBody() dto: ListDto, @ConnectedSocket() socket: AppSocket) {
    return { roomId: dto.roomId, socketId: socket.id };
  }

  helper() {
    return 'not a route';
  }
}

class GuardedGateway {
  @UseGuards(class {})
  @SubscribeMessage('presence:list')
  list(@MessageBody() dto: ListDto) {
    return dto;
  }
}

class FieldGateway {
  @SubscribeMessage('presence:list')
  list(@MessageBody('roomId') roomId: string) {
    return roomId;
  }
}

const socket = { id: 's1' } as AppSocket;

describe('request routes read from the gateways’ decorators', () => {
  it('binds each @SubscribeMessage method, socket and payload in their places', () => {
    const routes = new Map(routesOf(new ListingGateway()).map((route) => [route.event, route]));
    expect([...routes.keys()].sort()).toEqual(['presence:list', 'presence:user']);
    expect(routes.get('presence:list')!.handle(socket, { roomId: 'r1' })).toEqual({ listed: 'r1' });
    expect(routes.get('presence:user')!.handle(socket, { roomId: 'r2' })).toEqual({
      roomId: 'r2',
      socketId: 's1',
    });
  });

  it('checks the payload against the @MessageBody DTO, naming the field', () => {
    const [route] = routesOf(new ListingGateway()).filter((r) => r.event === 'presence:list');
    expect(() => route.check!({ roomId: 'r1' })).not.toThrow();
    let error: unknown;
    try {
      route.check!({ roomId: 'bad id!' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'roomId' } });
  });

  it('refuses at start what it would not run: guards, body fields', () => {
    expect(() => routesOf(new GuardedGateway())).toThrow(/__guards__/);
    expect(() => routesOf(new FieldGateway())).toThrow(
      /only @ConnectedSocket\(\) and @MessageBody\(\)/,
    );
  });
});
