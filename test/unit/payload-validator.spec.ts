import 'reflect-metadata';
import { AppError } from '../../src/common/errors/app-error.js';
import { payloadCheck } from '../../src/common/errors/payload-validator.js';
import { RoomMessageDto } from '../../src/messages/messages.dto.js';
import { MetadataWriteDto } from '../../src/metadata/metadata.dto.js';
import { HeartbeatDto, JoinDto } from '../../src/presence/presence.dto.js';

/** The payload once checked, so assertions read as before: the handler receives this. */
const validate = (metatype: new () => object, value: unknown): unknown => {
  payloadCheck(metatype)(value);
  return value;
};

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
    expect(validate(JoinDto, payload)).toEqual({ roomId: 'r1', state: { seat: 3, tags: [] } });
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

  describe('JSON data fields (state, statePatch, item values, message data)', () => {
    const infinity = () => JSON.parse('{"x":[1e400]}') as object;
    const buffer = () => ({ x: { blob: Buffer.from([1, 2, 3]) } });
    const heartbeat = (extra: object) => ({ roomId: 'r1', connId: 'c1', epoch: 1, ...extra });
    const write = (value: unknown) => ({
      channelType: 'room',
      channelName: 'r1',
      items: [{ key: 'k', value }],
    });

    it.each([
      ['a non-finite number', infinity],
      ['a nested Buffer', buffer],
    ])('refuses %s BAD_REQUEST, naming the field', (_what, bad) => {
      const cases: [new () => object, unknown, string][] = [
        [JoinDto, { roomId: 'r1', state: bad() }, 'state'],
        [HeartbeatDto, heartbeat({ state: bad() }), 'state'],
        [HeartbeatDto, heartbeat({ statePatch: bad() }), 'statePatch'],
        [MetadataWriteDto, write(bad()), 'items.0.value'],
        [MetadataWriteDto, write(Infinity), 'items.0.value'],
        [RoomMessageDto, { roomId: 'r1', data: bad() }, 'data'],
        [RoomMessageDto, { roomId: 'r1', data: Buffer.from('x') }, 'data'],
      ];
      for (const [dto, payload, field] of cases) {
        const err = errorOf(dto, payload);
        expect(err).toMatchObject({ code: 'BAD_REQUEST', details: { field } });
        expect(err.message).toMatch(/JSON/);
      }
    });

    it('still accepts null inside JSON data and as a value', () => {
      expect(validate(RoomMessageDto, { roomId: 'r1', data: null })).toBeDefined();
      expect(validate(MetadataWriteDto, write({ a: null, b: [null] }))).toBeDefined();
      expect(validate(HeartbeatDto, heartbeat({ statePatch: { gone: null } }))).toBeDefined();
    });
  });
});
