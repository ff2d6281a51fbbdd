import type { Ack, ErrorBody } from '@avalon-realtime/client/protocol';

export const ok = <T>(data: T): Ack<T> => ({ ok: true, data });
export const fail = (error: ErrorBody): Ack<never> => ({ ok: false, error });
