import type { RoomMessage } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { record, request, requestOk, untilRecorded } from '../support/client.js';
import { errorOf, okData } from './metadata-helpers.js';
import { join, joinSeenBy } from './presence-helpers.js';
import { TestClients } from './test-clients.js';

const UUIDISH = /^[A-Za-z0-9_.:-]{1,64}$/;
let roomCounter = 0;
const newRoom = () => `msgroom-${++roomCounter}`;

describe('room messages (memory engine)', () => {
  let app: AppProcess;
  const clients = new TestClients();
  const open = (userId: string) => clients.open(app.url, userId);
  const roomWith = (...users: string[]) => clients.roomWith(app.url, newRoom(), ...users);

  beforeAll(async () => {
    app = await AppProcess.start({ env: NO_RATE_LIMITS });
  });

  afterEach(() => clients.closeAll());

  afterAll(async () => {
    await app?.kill();
  });

  it('acks {id, ts} and relays the message to the other members, not to the sender', async () => {
    const {
      roomId,
      sockets: [alice, bob, carol],
    } = await roomWith('alice', 'bob', 'carol');
    const seen = [alice, bob, carol].map((s) => record<RoomMessage>(s, 'room:message'));
    const before = Date.now();
    const sent = await requestOk<{ id: string; ts: number }>(alice, 'room:message', {
      roomId,
      type: 'chat',
      data: { text: 'hello', n: [1, null] },
    });
    expect(sent).toEqual({ id: expect.stringMatching(UUIDISH), ts: expect.any(Number) });
    expect(sent.ts).toBeGreaterThanOrEqual(before - 1000);
    expect(sent.ts).toBeLessThanOrEqual(Date.now() + 1000);
    const expected = {
      roomId,
      id: sent.id,
      from: { userId: 'alice', connId: 'alice-c' },
      type: 'chat',
      data: { text: 'hello', n: [1, null] },
      ts: sent.ts,
    };
    // Bob answers: Alice's copy of his message proves she got none of her own.
    const reply = await requestOk<{ id: string; ts: number }>(bob, 'room:message', {
      roomId,
      data: 'hi',
    });
    const replied = {
      roomId,
      id: reply.id,
      from: { userId: 'bob', connId: 'bob-c' },
      type: 'message',
      data: 'hi',
      ts: reply.ts,
    };
    expect(reply.id).not.toBe(sent.id);
    await untilRecorded(carol, 'room:message', seen[2], (m) => m.length >= 2);
    await untilRecorded(bob, 'room:message', seen[1], (m) => m.length >= 1);
    await untilRecorded(alice, 'room:message', seen[0], (m) => m.length >= 1);
    expect(seen[2]).toEqual([expected, replied]);
    expect(seen[1]).toEqual([expected]);
    expect(seen[0]).toEqual([replied]);
  });

  it('names the connection the sender joined with on that socket', async () => {
    const {
      roomId,
      sockets: [alice],
    } = await roomWith('alice');
    const phone = await open('bob');
    const laptop = await open('bob');
    await joinSeenBy(alice, phone, { roomId, connId: 'bob-phone' });
    await joinSeenBy(alice, laptop, { roomId, connId: 'bob-laptop' });
    const seen = record<RoomMessage>(alice, 'room:message');
    const phoneSeen = record<RoomMessage>(phone, 'room:message');
    okData(await request(laptop, 'room:message', { roomId, data: 1 }));
    okData(await request(phone, 'room:message', { roomId, data: 2 }));
    await untilRecorded(alice, 'room:message', seen, (m) => m.length >= 2);
    expect(seen.map((m) => [m.from, m.data])).toEqual([
      [{ userId: 'bob', connId: 'bob-laptop' }, 1],
      [{ userId: 'bob', connId: 'bob-phone' }, 2],
    ]);
    // Another socket of the same user is another member: it receives the message.
    await untilRecorded(phone, 'room:message', phoneSeen, (m) => m.length >= 1);
    expect(phoneSeen.map((m) => m.data)).toEqual([1]);
  });

  it('answers NOT_JOINED to a sender who is not present in the room', async () => {
    const {
      roomId,
      sockets: [alice],
    } = await roomWith('alice');
    const seen = record<RoomMessage>(alice, 'room:message');
    const eve = await open('eve');
    errorOf(await request(eve, 'room:message', { roomId, data: 'spam' }), 'NOT_JOINED');
    await join(eve, { roomId: newRoom(), connId: 'eve-elsewhere' });
    errorOf(await request(eve, 'room:message', { roomId, data: 'spam' }), 'NOT_JOINED');
    // A member who left is no longer present.
    const bob = await open('bob');
    await joinSeenBy(alice, bob, { roomId, connId: 'bob-c' });
    await requestOk(bob, 'presence:leave', { roomId, connId: 'bob-c' });
    errorOf(await request(bob, 'room:message', { roomId, data: 'late' }), 'NOT_JOINED');
    // Nothing reached Alice before this one.
    const carol = await open('carol');
    await joinSeenBy(alice, carol, { roomId, connId: 'carol-c' });
    okData(await request(carol, 'room:message', { roomId, data: 'ok' }));
    await untilRecorded(alice, 'room:message', seen, (m) => m.length >= 1);
    expect(seen.map((m) => m.data)).toEqual(['ok']);
  });

  it('accepts data of 8 KiB; one byte more is PAYLOAD_TOO_LARGE', async () => {
    const {
      roomId,
      sockets: [alice, bob],
    } = await roomWith('alice', 'bob');
    const seen = record<RoomMessage>(bob, 'room:message');
    // A string's JSON serialization is its characters plus two quotes.
    const fits = 'x'.repeat(8 * 1024 - 2);
    okData(await request(alice, 'room:message', { roomId, data: fits }));
    errorOf(
      await request(alice, 'room:message', { roomId, data: `${fits}x` }),
      'PAYLOAD_TOO_LARGE',
    );
    const object = { s: 'y'.repeat(8 * 1024 - 8) }; // {"s":"…"} = 8 bytes + the string
    okData(await request(alice, 'room:message', { roomId, data: object }));
    errorOf(
      await request(alice, 'room:message', { roomId, data: { s: `${object.s}y` } }),
      'PAYLOAD_TOO_LARGE',
    );
    okData(await request(alice, 'room:message', { roomId, data: 'last' }));
    await untilRecorded(bob, 'room:message', seen, (m) => m.length >= 3);
    expect(seen.map((m) => m.data)).toEqual([fits, object, 'last']);
  });

  it('refuses malformed messages as BAD_REQUEST and relays none of them', async () => {
    const {
      roomId,
      sockets: [alice, bob],
    } = await roomWith('alice', 'bob');
    const seen = record<RoomMessage>(bob, 'room:message');
    const bad: unknown[] = [
      { roomId },
      { roomId, data: 1, type: '' },
      { roomId, data: 1, type: 't'.repeat(65) },
      { roomId, data: 1, type: 5 },
      { roomId, data: 1, type: null },
      { roomId, data: 1, extra: true },
      { roomId: 'bad room', data: 1 },
      { roomId: 'r'.repeat(65), data: 1 },
      { data: 1 },
      'hello',
      [roomId, 1],
    ];
    for (const payload of bad) {
      const ack = await request(alice, 'room:message', payload);
      expect([payload, ack.ok ? 'ok' : ack.error.code]).toEqual([payload, 'BAD_REQUEST']);
    }
    // data may be any JSON, null included.
    okData(await request(alice, 'room:message', { roomId, data: null, type: 't'.repeat(64) }));
    await untilRecorded(bob, 'room:message', seen, (m) => m.length >= 1);
    expect(seen.map((m) => [m.type, m.data])).toEqual([['t'.repeat(64), null]]);
  });
});
