import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { RefreshDto } from '../../src/auth/auth.dto.js';
import { compileDto } from '../../src/common/errors/compiled-dto.js';
import { RoomMessageDto } from '../../src/messages/messages.dto.js';
import { ChannelDto } from '../../src/metadata/channel.dto.js';
import { LockDto, LockTtlDto } from '../../src/metadata/lock.dto.js';
import { MetadataRemoveDto, MetadataWriteDto } from '../../src/metadata/metadata.dto.js';
import {
  HeartbeatDto,
  JoinDto,
  LeaveDto,
  ListDto,
  UserDto,
} from '../../src/presence/presence.dto.js';
import { mulberry32 } from '../support/fuzz.js';

type Ctor = new () => object;

const classValidatorAccepts = (metatype: Ctor, payload: object): boolean =>
  validateSync(plainToInstance(metatype, payload), {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  }).length === 0;

/** Valid payloads of every request DTO, the seeds the mutations start from. */
const VALID: [Ctor, object][] = [
  [JoinDto, { roomId: 'r1', connId: 'c1', state: { seat: 3, tags: ['a'] } }],
  [HeartbeatDto, { roomId: 'r1', connId: 'c1', epoch: 4, statePatch: { a: null } }],
  [LeaveDto, { roomId: 'r1', connId: 'c1' }],
  [ListDto, { roomId: 'r1' }],
  [UserDto, { userId: 'u1' }],
  [ChannelDto, { channelType: 'room', channelName: 'r1' }],
  [LockDto, { channelType: 'user', channelName: 'u1', lockName: 'l1' }],
  [LockTtlDto, { channelType: 'room', channelName: 'r1', lockName: 'l1', ttlMs: 5000 }],
  [
    MetadataWriteDto,
    {
      channelType: 'room',
      channelName: 'r1',
      items: [
        { key: 'k', value: { x: 1 }, revision: 0 },
        { key: 'j', value: null },
      ],
      majorRevision: -1,
      lockName: 'l1',
    },
  ],
  [MetadataRemoveDto, { channelType: 'room', channelName: 'r1', keys: ['k', 'j'] }],
  [RoomMessageDto, { roomId: 'r1', type: 'chat', data: [1, 'two', { three: 3 }] }],
  [RefreshDto, { token: 'a.b.c' }],
];

/** Values that break one rule or another: types, ranges, lengths, nulls, non-JSON data. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x'.repeat(65),
  'bad id!',
  -2,
  1.5,
  2 ** 60,
  Infinity,
  '5',
  true,
  [],
  [{}],
  [
    { key: 'k', value: 1 },
    { key: 'k', value: 2 },
  ],
  [{ key: 'k' }],
  [5],
  ['k', 'k'],
  {},
  { nested: { deep: [NaN] } },
  Buffer.from('x'),
  'x'.repeat(20_000),
];

function mutate(random: () => number, payload: Record<string, unknown>): Record<string, unknown> {
  const keys = [...Object.keys(payload), 'unknownField'];
  const copy = { ...payload };
  const key = keys[Math.floor(random() * keys.length)];
  const value = ODD_VALUES[Math.floor(random() * ODD_VALUES.length)];
  if (value === undefined) {
    delete copy[key];
  } else {
    copy[key] = value;
  }
  return copy;
}

describe('DTO rules compiled from class-validator metadata', () => {
  it('compiles every request DTO', () => {
    for (const [metatype] of VALID) {
      expect(compileDto(metatype)).toBeDefined();
    }
  });

  it('accepts each valid payload', () => {
    for (const [metatype, payload] of VALID) {
      expect(compileDto(metatype)?.(payload as Record<string, unknown>)).toBe(true);
    }
  });

  it('never accepts what class-validator refuses, nor refuses what it accepts (seeded mutations)', () => {
    const random = mulberry32(8);
    const disagreements: string[] = [];
    for (const [metatype, valid] of VALID) {
      const compiled = compileDto(metatype)!;
      for (let n = 0; n < 400; n++) {
        let payload = valid as Record<string, unknown>;
        for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
          payload = mutate(random, payload);
        }
        if (compiled(payload) !== classValidatorAccepts(metatype, payload)) {
          disagreements.push(`${metatype.name} ${JSON.stringify(payload).slice(0, 200)}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
