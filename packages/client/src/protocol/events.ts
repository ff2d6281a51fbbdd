/** Requests a client sends with `socket.emit(event, payload, ack)`. */
export const ClientEvent = {
  PresenceJoin: 'presence:join',
  PresenceHeartbeat: 'presence:heartbeat',
  PresenceLeave: 'presence:leave',
  PresenceList: 'presence:list',
  PresenceUser: 'presence:user',
  MetadataGet: 'metadata:get',
  MetadataSet: 'metadata:set',
  MetadataUpdate: 'metadata:update',
  MetadataRemove: 'metadata:remove',
  MetadataSubscribe: 'metadata:subscribe',
  MetadataUnsubscribe: 'metadata:unsubscribe',
  LockAcquire: 'lock:acquire',
  LockRenew: 'lock:renew',
  LockRelease: 'lock:release',
  LockList: 'lock:list',
  RoomMessage: 'room:message',
  AuthRefresh: 'auth:refresh',
  GameCreate: 'game:create',
  GameSit: 'game:sit',
  GameStand: 'game:stand',
  GameStart: 'game:start',
  GameView: 'game:view',
  GamePropose: 'game:propose',
  GameVote: 'game:vote',
  GameQuest: 'game:quest',
  GameAssassinate: 'game:assassinate',
  GameEnd: 'game:end',
} as const;
export type ClientEventName = (typeof ClientEvent)[keyof typeof ClientEvent];

/** Pushes the server sends. */
export const ServerEvent = {
  PresenceEvent: 'presence:event',
  MetadataEvent: 'metadata:event',
  LockEvent: 'lock:event',
  RoomMessage: 'room:message',
  GameUpdate: 'game:update',
  ServerShutdown: 'server:shutdown',
  ServerError: 'server:error',
} as const;
export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

export const CLIENT_EVENTS: ReadonlySet<string> = new Set(Object.values(ClientEvent));
