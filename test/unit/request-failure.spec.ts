import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { AppError } from '../../src/common/errors/app-error.js';
import { failureBody } from '../../src/common/errors/request-failure.js';

const request = { event: 'presence:join', socketId: 's1', userId: 'u1' };

describe('what a failed request answers', () => {
  it('answers an AppError as it is, details included', () => {
    const err = new AppError('LOCK_HELD', 'held', { owner: 'u2', expiresAt: 5 });
    expect(failureBody(err, request)).toEqual({
      code: 'LOCK_HELD',
      message: 'held',
      details: { owner: 'u2', expiresAt: 5 },
    });
  });

  it('answers anything else INTERNAL without its detail, and logs the detail with the request', () => {
    const logged: unknown[][] = [];
    const spy = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      const body = failureBody(new TypeError('secret detail'), request);
      expect(body).toEqual({ code: 'INTERNAL', message: 'internal error' });
      expect(JSON.stringify(body)).not.toContain('secret');
      expect(logged).toHaveLength(1);
      expect(logged[0][0]).toMatchObject({ ...request, err: expect.any(TypeError) });
      expect(String(logged[0][1])).toContain('secret detail');
    } finally {
      spy.mockRestore();
    }
  });
});
