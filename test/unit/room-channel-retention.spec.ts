import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type { ChannelRef } from '@avalon-realtime/client/protocol';
import { AppConfig } from '../../src/config/app-config.js';
import type { Env } from '../../src/config/env.schema.js';
import { MemoryMetadataEngine } from '../../src/engine/memory/memory-metadata.engine.js';
import { MemoryPresenceEngine } from '../../src/engine/memory/memory-presence.engine.js';
import { RedisMetadataEngine } from '../../src/engine/redis/redis-metadata.engine.js';
import { RoomChannelRetention } from '../../src/metadata/room-channel-retention.js';
import { TransactionPool } from '../../src/redis/transaction-pool.js';
import { ServerTransactions } from '../../src/redis/transactions.js';

const RETENTION_MS = 1000;
const channel: ChannelRef = { channelType: 'room', channelName: 'r1' };

/** The retention service on real memory engines sharing one clock. */
function setup() {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const metadata = new MemoryMetadataEngine(clock);
  const presence = new MemoryPresenceEngine(clock);
  const config = new AppConfig(
    new ConfigService<Env, true>({ ROOM_CHANNEL_RETENTION_MS: RETENTION_MS }),
  );
  const retention = new RoomChannelRetention(metadata, presence, config);
  const join = (userId: string) =>
    presence.join({
      roomId: 'r1',
      connId: `${userId}-c`,
      userId,
      node: 'n',
      ttlMs: 60_000,
      maxMembers: 10,
      maxConnsPerUser: 4,
    });
  const advance = (ms: number) => (now += ms);
  const majorRevision = async () => (await metadata.read(channel)).majorRevision;
  return { metadata, presence, retention, join, advance, majorRevision };
}

describe('RoomChannelRetention', () => {
  it('drops the channel ROOM_CHANNEL_RETENTION_MS after its room emptied', async () => {
    const { metadata, retention, advance, majorRevision } = setup();
    await metadata.write({
      channel,
      kind: 'set',
      items: [{ key: 'a', value: 1 }],
      authorUserId: 'u1',
    });
    await retention.roomEmptied('r1');
    advance(RETENTION_MS - 1);
    expect(await majorRevision()).toBe(1);
    advance(1);
    expect(await majorRevision()).toBe(0);
  });

  it('keeps it when a member came back in time, or joined before the expiry was set', async () => {
    const { metadata, retention, join, advance, majorRevision } = setup();
    await metadata.write({
      channel,
      kind: 'set',
      items: [{ key: 'a', value: 1 }],
      authorUserId: 'u1',
    });
    await retention.roomEmptied('r1');
    await join('u1');
    await retention.roomOccupied('r1');
    advance(RETENTION_MS * 2);
    expect(await majorRevision()).toBe(1);
    // A join that committed (and whose roomOccupied ran) before the last leave's report:
    // the report finds a member and undoes its own expiry.
    await retention.roomEmptied('r1');
    advance(RETENTION_MS * 2);
    expect(await majorRevision()).toBe(1);
  });

  it('never rejects, also when storage cannot be reached', async () => {
    Logger.overrideLogger(['error']);
    // Nothing listens on port 1: every call fails at once, as with Redis away.
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const pool = new TransactionPool({
      url: 'redis://127.0.0.1:1',
      size: 1,
      acquireTimeoutMs: 100,
      commandTimeoutMs: 100,
      name: 'unreachable',
    });
    const metadata = new RedisMetadataEngine(unreachable, new ServerTransactions(pool), {
      prefix: 'unreachable',
      maxRetries: 0,
      commandTimeoutMs: 100,
    });
    const { presence } = setup();
    const config = new AppConfig(
      new ConfigService<Env, true>({ ROOM_CHANNEL_RETENTION_MS: RETENTION_MS }),
    );
    const retention = new RoomChannelRetention(metadata, presence, config);
    await expect(retention.roomEmptied('r1')).resolves.toBeUndefined();
    await expect(retention.roomOccupied('r1')).resolves.toBeUndefined();
    await pool.drain();
    unreachable.disconnect();
  });
});
