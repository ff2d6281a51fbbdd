import { randomBytes } from 'node:crypto';

/** roomId, connId, userId, lockName, channelName: 1–64 chars of [A-Za-z0-9_.:-]. */
export const RESOURCE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export const isResourceId = (value: unknown): value is string =>
  typeof value === 'string' && RESOURCE_ID.test(value);

/** A connId for clients that did not bring their own. */
export const newConnId = (): string => `c-${randomBytes(9).toString('base64url')}`;
