import type { Ack } from './ack.js';
import type {
  GameAssassinateRequest,
  GameCreateRequest,
  GameProposeRequest,
  GameQuestRequest,
  GameRoomRequest,
  GameSitRequest,
  GameUpdate,
  GameView,
  GameVoteRequest,
} from './game-payloads.js';
import type {
  ChannelRef,
  LockAcquireRequest,
  LockEvent,
  LockGrant,
  LockRequest,
  LockSummary,
  MetadataEvent,
  MetadataRemoveRequest,
  MetadataSnapshot,
  MetadataWriteRequest,
  MetadataWriteResult,
  RoomMessage,
  RoomMessageRequest,
} from './metadata-payloads.js';
import type {
  AuthRefreshRequest,
  AuthRefreshResult,
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
  'metadata:get': Request<ChannelRef, MetadataSnapshot>;
  'metadata:set': Request<MetadataWriteRequest, MetadataWriteResult>;
  'metadata:update': Request<MetadataWriteRequest, MetadataWriteResult>;
  'metadata:remove': Request<MetadataRemoveRequest, MetadataWriteResult>;
  'metadata:subscribe': Request<ChannelRef, Record<string, never>>;
  'metadata:unsubscribe': Request<ChannelRef, Record<string, never>>;
  'lock:acquire': Request<LockAcquireRequest, LockGrant>;
  'lock:renew': Request<LockAcquireRequest, { expiresAt: number }>;
  'lock:release': Request<LockRequest, { released: true }>;
  'lock:list': Request<ChannelRef, { locks: LockSummary[] }>;
  'room:message': Request<RoomMessageRequest, { id: string; ts: number }>;
  'auth:refresh': Request<AuthRefreshRequest, AuthRefreshResult>;
  'game:create': Request<GameCreateRequest, GameView>;
  'game:sit': Request<GameSitRequest, GameView>;
  'game:stand': Request<GameRoomRequest, GameView>;
  'game:start': Request<GameRoomRequest, GameView>;
  'game:view': Request<GameRoomRequest, GameView>;
  'game:propose': Request<GameProposeRequest, GameView>;
  'game:vote': Request<GameVoteRequest, GameView>;
  'game:quest': Request<GameQuestRequest, GameView>;
  'game:assassinate': Request<GameAssassinateRequest, GameView>;
  'game:end': Request<GameRoomRequest, GameView>;
}

export interface ServerToClientEvents {
  'presence:event': (event: PresenceEvent) => void;
  'metadata:event': (event: MetadataEvent) => void;
  'lock:event': (event: LockEvent) => void;
  'room:message': (message: RoomMessage) => void;
  'game:update': (update: GameUpdate) => void;
  'server:shutdown': (notice: ServerShutdownNotice) => void;
  'server:error': (notice: ServerErrorNotice) => void;
}
