import type { MetadataEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { nextEvent, record, request, requestOk, untilRecorded } from '../support/client.js';
import {
  anItem,
  errorOf,
  getMeta,
  okData,
  removeMeta,
  roomCh,
  setMeta,
  updateMeta,
  userCh,
} from './metadata-helpers.js';
import { join } from './presence-helpers.js';
import { TestClients } from './test-clients.js';

let roomCounter = 0;
/** A fresh room (and so a fresh room channel) per test. */
const newRoom = () => `mroom-${++roomCounter}`;
let userCounter = 0;
/** A fresh user (and so a fresh user channel) per test. */
const newUser = (name: string) => `${name}-${++userCounter}`;

describe('channel metadata (memory engine)', () => {
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

  describe('reading and writing', () => {
    it('reads an empty channel as majorRevision 0 and no items', async () => {
      const {
        roomId,
        sockets: [alice],
      } = await roomWith('alice');
      expect(await getMeta(alice, roomCh(roomId))).toEqual({
        channelType: 'room',
        channelName: roomId,
        majorRevision: 0,
        items: [],
      });
      const bob = newUser('bob');
      expect(await getMeta(alice, userCh(bob))).toEqual({
        channelType: 'user',
        channelName: bob,
        majorRevision: 0,
        items: [],
      });
    });

    it('answers set with the whole new channel, raising revisions by exactly 1', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const first = okData(
        await setMeta(alice, {
          ...channel,
          items: [
            { key: 'b', value: { n: 1 } },
            { key: 'a', value: 'x' },
          ],
        }),
      );
      expect(first).toEqual({
        majorRevision: 1,
        items: [anItem('a', 'x', 1, 'alice'), anItem('b', { n: 1 }, 1, 'alice')],
      });
      const second = okData(
        await setMeta(alice, { ...channel, items: [{ key: 'b', value: null }] }),
      );
      expect(second).toEqual({
        majorRevision: 2,
        items: [first.items[0], anItem('b', null, 2, 'alice')],
      });
      const third = okData(
        await setMeta(alice, {
          ...channel,
          items: [
            { key: 'c', value: [1, 2] },
            { key: 'a', value: 'y' },
          ],
        }),
      );
      expect(third).toEqual({
        majorRevision: 3,
        items: [anItem('a', 'y', 2, 'alice'), second.items[1], anItem('c', [1, 2], 1, 'alice')],
      });
      expect(await getMeta(alice, channel)).toEqual({ ...channel, ...third });
    });

    it('updates existing items only: a missing key is NOT_FOUND and nothing is written', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      const updated = okData(
        await updateMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }] }),
      );
      expect(updated).toEqual({ majorRevision: 2, items: [anItem('a', 2, 2, 'alice')] });

      errorOf(
        await updateMeta(alice, {
          ...channel,
          items: [
            { key: 'a', value: 3 },
            { key: 'missing', value: 1 },
          ],
        }),
        'NOT_FOUND',
      );
      expect(await getMeta(alice, channel)).toEqual({ ...channel, ...updated });
    });

    it('removes given keys, or every item, with one new majorRevision', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const items = ['a', 'b', 'c', 'd'].map((key) => ({ key, value: key }));
      const written = okData(await setMeta(alice, { ...channel, items }));
      const removed = okData(await removeMeta(alice, { ...channel, keys: ['a', 'c', 'zz'] }));
      expect(removed).toEqual({
        majorRevision: 2,
        items: [written.items[1], written.items[3]],
      });
      const all = okData(await removeMeta(alice, { ...channel }));
      expect(all).toEqual({ majorRevision: 3, items: [] });
      expect(await getMeta(alice, channel)).toEqual({ ...channel, majorRevision: 3, items: [] });
    });

    it('answers a remove of absent keys ok, without a new revision or an event', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith('alice', 'bob');
      // The first write's event may still be on its way to bob after alice's ack: wait for it.
      const first = nextEvent<MetadataEvent>(bob, 'metadata:event', (e) => e.majorRevision === 1);
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      await first;
      const seen = record<MetadataEvent>(bob, 'metadata:event');
      expect(await removeMeta(alice, { ...channel, keys: ['nope', 'nada'] })).toEqual({
        ok: true,
        data: { majorRevision: 1, items: [anItem('a', 1, 1, 'alice')] },
      });
      // A later write's event proves that the no-op announced nothing before it.
      okData(await setMeta(alice, { ...channel, items: [{ key: 'b', value: 2 }] }));
      await untilRecorded(bob, 'metadata:event', seen, (e) => e.length >= 1);
      expect(seen.map((e) => [e.type, e.majorRevision])).toEqual([['set', 2]]);
      // Removing everything from an empty channel is a no-op too.
      const empty = roomCh(newRoom());
      const carol = await open('carol');
      await join(carol, { roomId: empty.channelName, connId: 'carol-c' });
      expect(await removeMeta(carol, { ...empty })).toEqual({
        ok: true,
        data: { majorRevision: 0, items: [] },
      });
    });
  });

  describe('revisions', () => {
    it('answers REVISION_CONFLICT with the current revisions and writes nothing', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      const before = okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }] }));

      const stale = errorOf(
        await setMeta(alice, {
          ...channel,
          items: [
            { key: 'a', value: 3, revision: 1 },
            { key: 'new', value: 1 },
          ],
        }),
        'REVISION_CONFLICT',
      );
      expect(stale.details).toEqual({
        majorRevision: 2,
        items: [
          { key: 'a', revision: 2 },
          { key: 'new', revision: 0 },
        ],
      });

      const major = errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 3 }], majorRevision: 1 }),
        'REVISION_CONFLICT',
      );
      expect(major.details).toEqual({ majorRevision: 2, items: [{ key: 'a', revision: 2 }] });

      const removal = errorOf(
        await removeMeta(alice, { ...channel, keys: ['a'], majorRevision: 5 }),
        'REVISION_CONFLICT',
      );
      expect(removal.details).toEqual({ majorRevision: 2, items: [{ key: 'a', revision: 2 }] });

      const update = errorOf(
        await updateMeta(alice, { ...channel, items: [{ key: 'a', value: 3, revision: 7 }] }),
        'REVISION_CONFLICT',
      );
      expect(update.details).toEqual({ majorRevision: 2, items: [{ key: 'a', revision: 2 }] });

      expect(await getMeta(alice, channel)).toEqual({ ...channel, ...before });
    });

    it('writes when the given revisions match, and ignores negative ones', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      const matched = okData(
        await setMeta(alice, {
          ...channel,
          items: [{ key: 'a', value: 2, revision: 1 }],
          majorRevision: 1,
        }),
      );
      expect(matched).toEqual({ majorRevision: 2, items: [anItem('a', 2, 2, 'alice')] });
      const ignored = okData(
        await setMeta(alice, {
          ...channel,
          items: [{ key: 'a', value: 3, revision: -1 }],
          majorRevision: -1,
        }),
      );
      expect(ignored).toEqual({ majorRevision: 3, items: [anItem('a', 3, 3, 'alice')] });
    });

    it('treats revision 0 as create-only', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const created = okData(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1, revision: 0 }] }),
      );
      expect(created).toEqual({ majorRevision: 1, items: [anItem('a', 1, 1, 'alice')] });
      const again = errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 2, revision: 0 }] }),
        'REVISION_CONFLICT',
      );
      expect(again.details).toEqual({ majorRevision: 1, items: [{ key: 'a', revision: 1 }] });
      expect(await getMeta(alice, channel)).toEqual({ ...channel, ...created });
    });
  });

  describe('validation and limits', () => {
    it('refuses duplicate keys, items: [] and keys: [] as BAD_REQUEST and writes nothing', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const dup = [
        { key: 'a', value: 1 },
        { key: 'a', value: 2 },
      ];
      errorOf(await setMeta(alice, { ...channel, items: dup }), 'BAD_REQUEST');
      errorOf(await updateMeta(alice, { ...channel, items: dup }), 'BAD_REQUEST');
      errorOf(await setMeta(alice, { ...channel, items: [] }), 'BAD_REQUEST');
      errorOf(await removeMeta(alice, { ...channel, keys: [] }), 'BAD_REQUEST');
      errorOf(await removeMeta(alice, { ...channel, keys: ['a', 'a'] }), 'BAD_REQUEST');
      expect(await getMeta(alice, channel)).toEqual({ ...channel, majorRevision: 0, items: [] });
    });

    it('refuses malformed payloads as BAD_REQUEST', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const item = { key: 'a', value: 1 };
      const bad: [string, unknown][] = [
        ['metadata:set', { ...channel, items: [{ ...item, key: 'k'.repeat(129) }] }],
        ['metadata:set', { ...channel, items: [{ ...item, key: '' }] }],
        ['metadata:set', { ...channel, items: [{ key: 'a' }] }],
        ['metadata:set', { ...channel, items: [{ ...item, revision: 1.5 }] }],
        ['metadata:set', { ...channel, items: [{ ...item, revision: null }] }],
        ['metadata:set', { ...channel, items: [item], majorRevision: null }],
        ['metadata:set', { ...channel, items: [item], lockName: 'bad name' }],
        ['metadata:set', { ...channel, items: [item], extra: true }],
        ['metadata:set', { ...channel, items: 'a' }],
        ['metadata:set', { channelType: 'team', channelName: 'x', items: [item] }],
        ['metadata:set', { channelType: 'room', channelName: 'bad/name', items: [item] }],
        ['metadata:remove', { ...channel, keys: ['k'.repeat(129)] }],
        ['metadata:remove', { ...channel, keys: [1] }],
        ['metadata:get', { channelType: 'room' }],
        ['metadata:get', 'room'],
      ];
      for (const [event, payload] of bad) {
        const ack = await request(alice, event, payload);
        expect([event, payload, ack.ok ? 'ok' : ack.error.code]).toEqual([
          event,
          payload,
          'BAD_REQUEST',
        ]);
      }
      expect(await getMeta(alice, channel)).toEqual({ ...channel, majorRevision: 0, items: [] });
    });

    it('accepts a 128-character key and a value of 8 KiB; one byte more is PAYLOAD_TOO_LARGE', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      // A string's JSON serialization is its characters plus two quotes.
      const fits = 'v'.repeat(8 * 1024 - 2);
      const key = 'k'.repeat(128);
      const written = okData(await setMeta(alice, { ...channel, items: [{ key, value: fits }] }));
      expect(written).toEqual({ majorRevision: 1, items: [anItem(key, fits, 1, 'alice')] });
      // Multi-byte characters count as their UTF-8 bytes: 'é' is 2 bytes.
      const wide = 'é'.repeat((8 * 1024 - 2) / 2);
      okData(await setMeta(alice, { ...channel, items: [{ key: 'wide', value: wide }] }));

      errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'b', value: `${fits}v` }] }),
        'PAYLOAD_TOO_LARGE',
      );
      errorOf(
        await updateMeta(alice, { ...channel, items: [{ key, value: `${fits}v` }] }),
        'PAYLOAD_TOO_LARGE',
      );
      errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'wide2', value: `${wide}v` }] }),
        'PAYLOAD_TOO_LARGE',
      );
      const snapshot = await getMeta(alice, channel);
      expect(snapshot.majorRevision).toBe(2);
      expect(snapshot.items.map((i) => [i.key.length, i.revision])).toEqual([
        [128, 1],
        [4, 1],
      ]);
    });

    it('holds 256 items; the 257th is PAYLOAD_TOO_LARGE, overwriting still works', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const items = Array.from({ length: 256 }, (_, i) => ({ key: `k${i}`, value: i }));
      errorOf(
        await setMeta(alice, { ...channel, items: [...items, { key: 'k256', value: 256 }] }),
        'PAYLOAD_TOO_LARGE',
      );
      const full = okData(await setMeta(alice, { ...channel, items }));
      expect(full.majorRevision).toBe(1);
      expect(full.items).toHaveLength(256);
      errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'k256', value: 256 }] }),
        'PAYLOAD_TOO_LARGE',
      );
      // All or nothing: an overwrite together with a new item writes neither.
      errorOf(
        await setMeta(alice, {
          ...channel,
          items: [
            { key: 'k0', value: 'x' },
            { key: 'k256', value: 256 },
          ],
        }),
        'PAYLOAD_TOO_LARGE',
      );
      const overwritten = okData(
        await setMeta(alice, { ...channel, items: [{ key: 'k0', value: 'x' }] }),
      );
      expect(overwritten.majorRevision).toBe(2);
      expect(overwritten.items).toHaveLength(256);
      expect(overwritten.items.find((i) => i.key === 'k0')).toEqual(anItem('k0', 'x', 2, 'alice'));
      okData(await removeMeta(alice, { ...channel, keys: ['k1'] }));
      okData(await setMeta(alice, { ...channel, items: [{ key: 'k256', value: 256 }] }));
    });
  });

  describe('events', () => {
    it('sends the other members only the changed items; the writer gets the ack only', async () => {
      const {
        channel,
        sockets: [alice, bob, carol],
      } = await roomWith('alice', 'bob', 'carol');
      const aliceSeen = record<MetadataEvent>(alice, 'metadata:event');
      const bobSeen = record<MetadataEvent>(bob, 'metadata:event');
      const carolSeen = record<MetadataEvent>(carol, 'metadata:event');

      okData(
        await setMeta(alice, {
          ...channel,
          items: [
            { key: 'a', value: 1 },
            { key: 'b', value: 2 },
          ],
        }),
      );
      okData(await setMeta(alice, { ...channel, items: [{ key: 'c', value: 3 }] }));
      okData(await updateMeta(alice, { ...channel, items: [{ key: 'a', value: 10 }] }));
      okData(await removeMeta(alice, { ...channel, keys: ['b', 'absent'] }));
      // Bob writes last: Alice's copy of it proves she was sent none of her own writes.
      okData(await setMeta(bob, { ...channel, items: [{ key: 'd', value: 4 }] }));

      const expected = [
        {
          ...channel,
          type: 'set',
          majorRevision: 1,
          items: [anItem('a', 1, 1, 'alice'), anItem('b', 2, 1, 'alice')],
          authorUserId: 'alice',
          ts: expect.any(Number),
        },
        {
          ...channel,
          type: 'set',
          majorRevision: 2,
          items: [anItem('c', 3, 1, 'alice')],
          authorUserId: 'alice',
          ts: expect.any(Number),
        },
        {
          ...channel,
          type: 'update',
          majorRevision: 3,
          items: [anItem('a', 10, 2, 'alice')],
          authorUserId: 'alice',
          ts: expect.any(Number),
        },
        {
          ...channel,
          type: 'remove',
          majorRevision: 4,
          items: [{ key: 'b' }],
          authorUserId: 'alice',
          ts: expect.any(Number),
        },
      ];
      const bobs = {
        ...channel,
        type: 'set',
        majorRevision: 5,
        items: [anItem('d', 4, 1, 'bob')],
        authorUserId: 'bob',
        ts: expect.any(Number),
      };
      await untilRecorded(carol, 'metadata:event', carolSeen, (e) => e.length >= 5);
      await untilRecorded(bob, 'metadata:event', bobSeen, (e) => e.length >= 4);
      await untilRecorded(alice, 'metadata:event', aliceSeen, (e) => e.length >= 1);
      expect(carolSeen).toEqual([...expected, bobs]);
      expect(bobSeen).toEqual(expected);
      expect(aliceSeen).toEqual([bobs]);
    });

    it('announces a remove of every item with each removed key', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith('alice', 'bob');
      okData(
        await setMeta(alice, {
          ...channel,
          items: [
            { key: 'x', value: 1 },
            { key: 'y', value: 2 },
          ],
        }),
      );
      const heard = nextEvent<MetadataEvent>(bob, 'metadata:event', (e) => e.type === 'remove');
      okData(await removeMeta(alice, { ...channel }));
      const event = await heard;
      expect(event.majorRevision).toBe(2);
      expect([...event.items].sort((p, q) => p.key.localeCompare(q.key))).toEqual([
        { key: 'x' },
        { key: 'y' },
      ]);
    });
  });

  describe('user channels', () => {
    it('lets anyone read, and only the owner write (FORBIDDEN, nothing written)', async () => {
      const owner = newUser('olga');
      const olga = await open(owner);
      const mallory = await open(newUser('mallory'));
      const channel = userCh(owner);
      const written = okData(
        await setMeta(olga, { ...channel, items: [{ key: 'status', value: 'busy' }] }),
      );
      expect(written).toEqual({ majorRevision: 1, items: [anItem('status', 'busy', 1, owner)] });
      expect(await getMeta(mallory, channel)).toEqual({ ...channel, ...written });

      const item = { key: 'status', value: 'hacked' };
      errorOf(await setMeta(mallory, { ...channel, items: [item] }), 'FORBIDDEN');
      errorOf(await updateMeta(mallory, { ...channel, items: [item] }), 'FORBIDDEN');
      errorOf(await removeMeta(mallory, { ...channel }), 'FORBIDDEN');
      errorOf(
        await setMeta(mallory, { ...channel, items: [{ key: 'new', value: 1 }] }),
        'FORBIDDEN',
      );
      expect(await getMeta(olga, channel)).toEqual({ ...channel, ...written });
    });

    it('sends events to subscribers only, and none after unsubscribe', async () => {
      const owner = newUser('olga');
      const other = newUser('oscar');
      const olga = await open(owner);
      const oscar = await open(other);
      const sub = await open(newUser('sub'));
      const bystander = await open(newUser('bystander'));
      const channel = userCh(owner);
      const subSeen = record<MetadataEvent>(sub, 'metadata:event');
      const bystanderSeen = record<MetadataEvent>(bystander, 'metadata:event');
      const olgaSeen = record<MetadataEvent>(olga, 'metadata:event');

      expect(await request(sub, 'metadata:subscribe', channel)).toEqual({ ok: true, data: {} });
      expect(await request(sub, 'metadata:subscribe', userCh(other))).toEqual({
        ok: true,
        data: {},
      });
      // The owner subscribes too: the writing socket still gets only its ack.
      okData(await request(olga, 'metadata:subscribe', channel));
      okData(await setMeta(olga, { ...channel, items: [{ key: 'a', value: 1 }] }));
      await untilRecorded(sub, 'metadata:event', subSeen, (e) => e.length >= 1);
      expect(subSeen).toEqual([
        {
          ...channel,
          type: 'set',
          majorRevision: 1,
          items: [anItem('a', 1, 1, owner)],
          authorUserId: owner,
          ts: expect.any(Number),
        },
      ]);

      expect(await request(sub, 'metadata:unsubscribe', channel)).toEqual({ ok: true, data: {} });
      okData(await setMeta(olga, { ...channel, items: [{ key: 'a', value: 2 }] }));
      // Oscar's write reaches `sub` after Olga's would have: proves Olga's did not.
      okData(await setMeta(oscar, { ...userCh(other), items: [{ key: 'b', value: 1 }] }));
      await untilRecorded(sub, 'metadata:event', subSeen, (e) => e.length >= 2);
      expect(subSeen.map((e) => [e.channelName, e.majorRevision])).toEqual([
        [owner, 1],
        [other, 1],
      ]);
      // Never subscribed: nothing. The writer: nothing (proved by a later event of another).
      okData(await request(bystander, 'metadata:subscribe', userCh(other)));
      okData(await setMeta(oscar, { ...userCh(other), items: [{ key: 'b', value: 2 }] }));
      await untilRecorded(bystander, 'metadata:event', bystanderSeen, (e) => e.length >= 1);
      expect(bystanderSeen.map((e) => [e.channelName, e.majorRevision])).toEqual([[other, 2]]);
      okData(await request(olga, 'metadata:subscribe', userCh(other)));
      okData(await setMeta(oscar, { ...userCh(other), items: [{ key: 'b', value: 3 }] }));
      await untilRecorded(olga, 'metadata:event', olgaSeen, (e) => e.length >= 1);
      expect(olgaSeen.map((e) => [e.channelName, e.majorRevision])).toEqual([[other, 3]]);
    });

    it('refuses to subscribe to a room channel (BAD_REQUEST)', async () => {
      const {
        roomId,
        sockets: [alice],
      } = await roomWith('alice');
      errorOf(await request(alice, 'metadata:subscribe', roomCh(roomId)), 'BAD_REQUEST');
      errorOf(await request(alice, 'metadata:unsubscribe', roomCh(roomId)), 'BAD_REQUEST');
    });
  });

  describe('room channel access', () => {
    it('refuses a non-member (FORBIDDEN) for reads and writes, and writes nothing', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const written = okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      const eve = await open('eve');
      const item = { key: 'a', value: 'evil' };
      errorOf(await request(eve, 'metadata:get', channel), 'FORBIDDEN');
      errorOf(await setMeta(eve, { ...channel, items: [item] }), 'FORBIDDEN');
      errorOf(await setMeta(eve, { ...channel, items: [{ key: 'n', value: 1 }] }), 'FORBIDDEN');
      errorOf(await updateMeta(eve, { ...channel, items: [item] }), 'FORBIDDEN');
      errorOf(await removeMeta(eve, { ...channel }), 'FORBIDDEN');
      // A member of another room is no member of this one.
      await join(eve, { roomId: newRoom(), connId: 'eve-c' });
      errorOf(await setMeta(eve, { ...channel, items: [item] }), 'FORBIDDEN');
      expect(await getMeta(alice, channel)).toEqual({ ...channel, ...written });
    });

    it('ends access when the member leaves', async () => {
      const {
        roomId,
        channel,
        sockets: [alice, bob],
      } = await roomWith('alice', 'bob');
      okData(await setMeta(bob, { ...channel, items: [{ key: 'a', value: 1 }] }));
      expect(await requestOk(bob, 'presence:leave', { roomId, connId: 'bob-c' })).toEqual({
        left: true,
      });
      errorOf(await request(bob, 'metadata:get', channel), 'FORBIDDEN');
      errorOf(await setMeta(bob, { ...channel, items: [{ key: 'a', value: 2 }] }), 'FORBIDDEN');
      const snapshot = await getMeta(alice, channel);
      expect(snapshot.majorRevision).toBe(1);
      expect(snapshot.items).toEqual([anItem('a', 1, 1, 'bob')]);
    });

    it('keeps access while the user has another connection in the room', async () => {
      const {
        roomId,
        channel,
        sockets: [alice],
      } = await roomWith('alice');
      const phone = await open('alice');
      await join(phone, { roomId, connId: 'alice-phone' });
      await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-c' });
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      expect((await getMeta(phone, channel)).majorRevision).toBe(1);
    });
  });
});
