/** The Socket.IO room that carries a game room's events. */
export const roomChannel = (roomId: string): string => `room:${roomId}`;

/** The Socket.IO room of a user channel's metadata subscribers. */
export const userMetaChannel = (userId: string): string => `user-meta:${userId}`;
