/** Requests a client sends with `socket.emit(event, payload, ack)`. */
export const ClientEvent = {
  PresenceJoin: 'presence:join',
  PresenceHeartbeat: 'presence:heartbeat',
  PresenceLeave: 'presence:leave',
  PresenceList: 'presence:list',
  PresenceUser: 'presence:user',
} as const;
export type ClientEventName = (typeof ClientEvent)[keyof typeof ClientEvent];

/** Pushes the server sends. */
export const ServerEvent = {
  PresenceEvent: 'presence:event',
  ServerShutdown: 'server:shutdown',
  ServerError: 'server:error',
} as const;
export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

export const CLIENT_EVENTS: ReadonlySet<string> = new Set(Object.values(ClientEvent));
