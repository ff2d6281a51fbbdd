import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';

/** Why the presence engines refuse a command; the Redis scripts answer with these words. */
export type PresenceRefusal =
  'FORBIDDEN' | 'ROOM_FULL' | 'USER_FULL' | 'NOT_JOINED' | 'STALE_EPOCH';

/** Each refusal's error code and message, written once for both engines. */
const REFUSALS: ReadonlyMap<PresenceRefusal, readonly [ErrorCode, string]> = new Map([
  ['FORBIDDEN', [ErrorCode.FORBIDDEN, 'connId belongs to another user']],
  ['ROOM_FULL', [ErrorCode.ROOM_FULL, 'room is full']],
  ['USER_FULL', [ErrorCode.ROOM_FULL, 'too many connections of this user in the room']],
  ['NOT_JOINED', [ErrorCode.NOT_JOINED, 'not joined: join the room again']],
  ['STALE_EPOCH', [ErrorCode.STALE_EPOCH, 'a newer session of this connId exists']],
] as const);

/** The AppError of a refusal; STALE_EPOCH carries the current epoch. */
export function presenceRefusal(refusal: PresenceRefusal, currentEpoch?: number): AppError {
  const [code, message] = REFUSALS.get(refusal) ?? [ErrorCode.INTERNAL, 'unknown refusal'];
  const details = refusal === 'STALE_EPOCH' ? { epoch: currentEpoch } : undefined;
  return new AppError(code, message, details);
}

/** Whether a script's status word is one of the refusals. */
export const isPresenceRefusal = (word: string): word is PresenceRefusal =>
  REFUSALS.has(word as PresenceRefusal);
