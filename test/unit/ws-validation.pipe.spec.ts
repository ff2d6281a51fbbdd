import { AppError } from '../../src/common/errors/app-error.js';
import { WsValidationPipe } from '../../src/common/errors/ws-validation.pipe.js';
import { HeartbeatDto, JoinDto } from '../../src/presence/presence.dto.js';

const pipe = new WsValidationPipe();
const validate = (metatype: new () => object, value: unknown) =>
  pipe.transform(value, { type: 'body', metatype });

const errorOf = (metatype: new () => object, value: unknown): AppError => {
  try {
    validate(metatype, value);
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a validation error');
};

describe('request validation', () => {
  it('passes a valid payload through untouched', () => {
    const payload = { roomId: 'r1', state: { seat: 3, tags: [] } };
    expect(validate(JoinDto, payload)).toBe(payload);
  });

  it.each([['text'], [42], [[{ roomId: 'r1' }]], [null], [undefined]])(
    'refuses a non-object payload (%j)',
    (payload) => {
      expect(errorOf(JoinDto, payload)).toMatchObject({ code: 'BAD_REQUEST' });
    },
  );

  it('names an unknown field', () => {
    const err = errorOf(JoinDto, { roomId: 'r1', colour: 'red' });
    expect(err).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'colour' } });
    expect(err.message).toBe('colour: unknown field');
  });

  it('refuses null for an optional field', () => {
    expect(errorOf(JoinDto, { roomId: 'r1', connId: null })).toMatchObject({
      code: 'BAD_REQUEST',
      details: { field: 'connId' },
    });
  });

  it('refuses wrong types without echoing the value', () => {
    const err = errorOf(HeartbeatDto, { roomId: 'r1', connId: 'c1', epoch: '5' });
    expect(err).toMatchObject({ code: 'BAD_REQUEST', details: { field: 'epoch' } });
    expect(err.message).not.toContain('"5"');
  });

  it('answers PAYLOAD_TOO_LARGE above 16 KiB of state, and accepts exactly 16 KiB', () => {
    const filler = (bytes: number) => ({ s: 'x'.repeat(bytes - '{"s":""}'.length) });
    expect(validate(JoinDto, { roomId: 'r1', state: filler(16_384) })).toBeDefined();
    expect(errorOf(JoinDto, { roomId: 'r1', state: filler(16_385) })).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      details: { field: 'state' },
    });
  });

  it('refuses prototype keys anywhere in the payload', () => {
    const payload = JSON.parse('{"roomId":"r1","state":{"a":{"__proto__":{"x":1}}}}') as object;
    expect(errorOf(JoinDto, payload)).toMatchObject({
      code: 'BAD_REQUEST',
      details: { field: 'state.a.__proto__' },
    });
  });
});
