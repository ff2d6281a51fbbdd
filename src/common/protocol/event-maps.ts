import type { Ack } from './ack.js';
import type {
  HeartbeatRequest,
  HeartbeatResult,
  JoinRequest,
  JoinResult,
  LeaveRequest,
  LeaveResult,
  ListRequest,
  ListResult,
  PresenceEvent,
  ServerErrorNotice,
  ServerShutdownNotice,
  UserRequest,
  UserResult,
} from './payloads.js';

type Request<P, R> = (payload: P, ack: (ack: Ack<R>) => void) => void;

/** Typed Socket.IO maps: `Socket<ServerToClientEvents, ClientToServerEvents>` on the client. */
export interface ClientToServerEvents {
  'presence:join': Request<JoinRequest, JoinResult>;
  'presence:heartbeat': Request<HeartbeatRequest, HeartbeatResult>;
  'presence:leave': Request<LeaveRequest, LeaveResult>;
  'presence:list': Request<ListRequest, ListResult>;
  'presence:user': Request<UserRequest, UserResult>;
}

export interface ServerToClientEvents {
  'presence:event': (event: PresenceEvent) => void;
  'server:shutdown': (notice: ServerShutdownNotice) => void;
  'server:error': (notice: ServerErrorNotice) => void;
}
