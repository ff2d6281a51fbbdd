import { AppError } from '../../src/common/errors/app-error.js';
import type { JsonObject, Member } from '@avalon-realtime/client/protocol';
import type {
  HeartbeatCommand,
  HeartbeatOutcome,
  JoinCommand,
  PresenceEngine,
  StateOp,
} from '../../src/engine/presence.engine.js';

export interface EngineHarness {
  engine: PresenceEngine;
  /** Lets `ms` pass on the engine's clock (a real wait for Redis, whose TIME cannot be faked). */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** Short enough for real waits, long enough that a few calls fit well inside it. */
export const TTL_MS = 300;
export const LONG_TTL_MS = 60_000;

export const joinCmd = (over: Partial<JoinCommand> = {}): JoinCommand => ({
  roomId: 'r1',
  connId: 'c1',
  userId: 'u1',
  node: 'n1',
  ttlMs: TTL_MS,
  maxMembers: 10,
  maxConnsPerUser: 10,
  ...over,
});

export const beat = (epoch: number, ops: StateOp[] = [], over: Partial<HeartbeatCommand> = {}) => ({
  roomId: 'r1',
  connId: 'c1',
  userId: 'u1',
  epoch,
  ops,
  ttlMs: TTL_MS,
  ...over,
});

/** Resolves to the AppError code a call failed with. */
export async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
  return 'no error';
}

const byConn = (members: Member[]): Member[] =>
  [...members].sort((a, b) => a.connId.localeCompare(b.connId));

/** The conformance suite of PresenceEngine; every engine runs it unchanged. */
export function describePresenceEngineContract(
  name: string,
  makeEngine: () => Promise<EngineHarness>,
): void {
  describe(`PresenceEngine contract: ${name}`, () => {
    let h: EngineHarness;
    let engine: PresenceEngine;

    beforeEach(async () => {
      h = await makeEngine();
      engine = h.engine;
      await engine.ready();
    });
    afterEach(async () => {
      await engine.close();
      await h.cleanup();
    });

    describe('join', () => {
      it('adds a first connection with state {}', async () => {
        const out = await engine.join(joinCmd());
        expect(out.resumed).toBe(false);
        expect(out.epoch).toBeGreaterThan(0);
        expect(out.expiresAt).toBeGreaterThan(out.member.lastSeenAt);
        expect(out.member).toMatchObject({ connId: 'c1', userId: 'u1', status: 'online' });
        expect(out.member.state).toStrictEqual({});
        expect(out.members).toStrictEqual([out.member]);
      });

      it('stores the given state and lists every member', async () => {
        await engine.join(joinCmd({ state: { a: 1 } }));
        const out = await engine.join(joinCmd({ connId: 'c2', userId: 'u2', state: { b: 2 } }));
        expect(byConn(out.members).map((m) => m.state)).toStrictEqual([{ a: 1 }, { b: 2 }]);
      });

      it('resumes the same connId: epoch rises, joinedAt and state kept', async () => {
        const first = await engine.join(joinCmd({ state: { a: 1 } }));
        await h.advance(5);
        const again = await engine.join(joinCmd());
        expect(again.resumed).toBe(true);
        expect(again.epoch).toBeGreaterThan(first.epoch);
        expect(again.member.joinedAt).toBe(first.member.joinedAt);
        expect(again.member.state).toStrictEqual({ a: 1 });
        expect(again.members).toHaveLength(1);
        const replaced = await engine.join(joinCmd({ state: { b: 2 } }));
        expect(replaced.epoch).toBeGreaterThan(again.epoch);
        expect(replaced.member.state).toStrictEqual({ b: 2 });
      });

      it('resume brings an away member back online', async () => {
        const first = await engine.join(joinCmd());
        await engine.markAway({ roomId: 'r1', connId: 'c1', userId: 'u1', epoch: first.epoch });
        const again = await engine.join(joinCmd());
        expect(again.member.status).toBe('online');
      });

      it("refuses another user's connId and changes nothing", async () => {
        await engine.join(joinCmd({ state: { a: 1 } }));
        expect(await codeOf(engine.join(joinCmd({ userId: 'u2', state: { x: 1 } })))).toBe(
          'FORBIDDEN',
        );
        const [member] = await engine.list('r1');
        expect(member).toMatchObject({ userId: 'u1', state: { a: 1 } });
      });

      it('refuses a new user beyond maxMembers, not a second connection of a member', async () => {
        await engine.join(joinCmd({ maxMembers: 2 }));
        await engine.join(joinCmd({ connId: 'c2', userId: 'u2', maxMembers: 2 }));
        const full = engine.join(joinCmd({ connId: 'c3', userId: 'u3', maxMembers: 2 }));
        expect(await codeOf(full)).toBe('ROOM_FULL');
        const second = await engine.join(joinCmd({ connId: 'c4', userId: 'u2', maxMembers: 2 }));
        expect(second.members).toHaveLength(3);
      });
    });

    describe('heartbeat', () => {
      it('refreshes the TTL', async () => {
        const { epoch, expiresAt } = await engine.join(joinCmd());
        await h.advance(200);
        const first = await engine.heartbeat(beat(epoch));
        expect(first.expiresAt).toBeGreaterThan(expiresAt);
        await h.advance(200);
        const second = await engine.heartbeat(beat(epoch));
        expect(second).toMatchObject({ epoch, changed: false });
        expect(second.member.lastSeenAt).toBeGreaterThan(first.member.lastSeenAt - 1);
      });

      it('replaces the state', async () => {
        const { epoch } = await engine.join(joinCmd({ state: { a: 1 } }));
        const out = await engine.heartbeat(beat(epoch, [{ state: { b: 2 } }]));
        expect(out.changed).toBe(true);
        expect(out.member.state).toStrictEqual({ b: 2 });
        expect((await engine.list('r1'))[0].state).toStrictEqual({ b: 2 });
      });

      it('applies a merge patch (nested, null deletes)', async () => {
        const { epoch } = await engine.join(joinCmd({ state: { a: { x: 1, y: 2 }, b: 1 } }));
        const patch = { a: { y: null, z: 3 }, b: null };
        const out = await engine.heartbeat(beat(epoch, [{ statePatch: patch }]));
        expect(out.changed).toBe(true);
        expect(out.member.state).toStrictEqual({ a: { x: 1, z: 3 } });
        expect((await engine.list('r1'))[0].state).toStrictEqual({ a: { x: 1, z: 3 } });
      });

      it('applies several ops in order', async () => {
        const { epoch } = await engine.join(joinCmd({ state: { keep: true } }));
        const ops: StateOp[] = [
          { state: { a: 1 } },
          { statePatch: { b: 2 } },
          { statePatch: { a: null, c: [1] } },
        ];
        const out = await engine.heartbeat(beat(epoch, ops));
        expect(out.member.state).toStrictEqual({ b: 2, c: [1] });
        const next = await engine.heartbeat(beat(epoch, [{ statePatch: { d: 4 } }]));
        expect(next.member.state).toStrictEqual({ b: 2, c: [1], d: 4 });
      });

      it('reports no change for the same value in another key order, or no ops', async () => {
        const { epoch } = await engine.join(joinCmd({ state: { a: 1, b: { c: 2, d: 3 } } }));
        const same = await engine.heartbeat(beat(epoch, [{ state: { b: { d: 3, c: 2 }, a: 1 } }]));
        expect(same.changed).toBe(false);
        const none = await engine.heartbeat(beat(epoch));
        expect(none.changed).toBe(false);
        expect(none.member.state).toStrictEqual({ a: 1, b: { c: 2, d: 3 } });
      });

      it('refuses another epoch, a connection never joined or gone, another user', async () => {
        const { epoch } = await engine.join(joinCmd());
        expect(await codeOf(engine.heartbeat(beat(epoch - 1)))).toBe('STALE_EPOCH');
        expect(await codeOf(engine.heartbeat(beat(epoch, [], { connId: 'zz' })))).toBe(
          'NOT_JOINED',
        );
        expect(await codeOf(engine.heartbeat(beat(epoch, [], { userId: 'u2' })))).toBe('FORBIDDEN');
        await engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' });
        expect(await codeOf(engine.heartbeat(beat(epoch)))).toBe('NOT_JOINED');
      });

      it('refuses an expired connection', async () => {
        const { epoch } = await engine.join(joinCmd());
        await h.advance(TTL_MS + 50);
        expect(await codeOf(engine.heartbeat(beat(epoch)))).toBe('NOT_JOINED');
      });

      it('hides an expired connection from lists before the reaper sweeps it', async () => {
        await engine.join(joinCmd());
        await engine.join(joinCmd({ connId: 'c9', userId: 'u9', ttlMs: LONG_TTL_MS }));
        await h.advance(TTL_MS + 50);
        expect((await engine.list('r1')).map((m) => m.connId)).toStrictEqual(['c9']);
        const joined = await engine.join(joinCmd({ connId: 'c8', userId: 'u8' }));
        expect(joined.members.map((m) => m.connId).sort()).toStrictEqual(['c8', 'c9']);
      });

      it('heartbeatMany answers each command in order', async () => {
        const one = await engine.join(joinCmd());
        const two = await engine.join(joinCmd({ connId: 'c2', userId: 'u2' }));
        const results = await engine.heartbeatMany([
          beat(one.epoch, [{ statePatch: { a: 1 } }]),
          beat(one.epoch - 1, [], { connId: 'c2', userId: 'u2' }),
          beat(1, [], { connId: 'nope' }),
          beat(two.epoch, [{ state: { b: 2 } }], { connId: 'c2', userId: 'u2' }),
        ]);
        expect(results[0]).toMatchObject({ changed: true, member: { state: { a: 1 } } });
        expect(results[1]).toMatchObject({ code: 'STALE_EPOCH' });
        expect(results[2]).toMatchObject({ code: 'NOT_JOINED' });
        expect(results[3]).toMatchObject({ changed: true, member: { state: { b: 2 } } });
        expect(results[1]).toBeInstanceOf(AppError);
      });

      it('a member refreshed by heartbeatMany reads back with its new lastSeenAt everywhere', async () => {
        const at = { ttlMs: LONG_TTL_MS };
        const one = await engine.join(joinCmd(at));
        await h.advance(5);
        const [beaten] = await engine.heartbeatMany([beat(one.epoch, [], at)]);
        const { lastSeenAt } = (beaten as HeartbeatOutcome).member;
        expect(lastSeenAt).toBeGreaterThan(one.member.lastSeenAt);
        const seenAt = (members: Member[]) => members.map((m) => [m.connId, m.lastSeenAt]);
        expect(seenAt(await engine.list('r1'))).toStrictEqual([['c1', lastSeenAt]]);
        const other = await engine.join(joinCmd({ ...at, connId: 'c2', userId: 'u2' }));
        expect(seenAt(other.members)[0]).toStrictEqual(['c1', lastSeenAt]);
        const ref = { roomId: 'r1', connId: 'c1', userId: 'u1' };
        const away = await engine.markAway({ ...ref, epoch: one.epoch });
        expect(away).toMatchObject({ status: 'away', lastSeenAt });
        expect(await engine.leave(ref)).toMatchObject({ member: { status: 'away', lastSeenAt } });
      });

      it('heartbeatMany answers a mixed batch over several rooms, each command its own', async () => {
        const session = async (roomId: string, connId: string, state: JsonObject = {}) => {
          const at = { roomId, connId, userId: `u-${connId}`, ttlMs: LONG_TTL_MS };
          const joined = await engine.join(joinCmd({ ...at, state }));
          return { cmd: beat(joined.epoch, [], at), joined };
        };
        const [a, b, c, d, e, f] = await Promise.all([
          session('r1', 'a', { n: 1 }),
          session('r1', 'b', { n: 2 }),
          session('r1', 'c'),
          session('r2', 'd', { n: 4 }),
          session('r2', 'e'),
          session('r3', 'f', { n: 6 }),
        ]);
        await engine.leave({ roomId: 'r2', connId: 'e', userId: 'u-e' });
        await h.advance(5);
        const results = await engine.heartbeatMany([
          a.cmd,
          { ...b.cmd, ops: [{ statePatch: { m: 2 } }] },
          { ...c.cmd, epoch: c.cmd.epoch - 1 },
          d.cmd,
          { ...d.cmd, userId: 'u-a' },
          e.cmd,
          f.cmd,
          { ...f.cmd, connId: 'never' },
        ]);
        const codes = results.map((r) => (r instanceof AppError ? r.code : 'ok'));
        expect(codes).toStrictEqual([
          ...['ok', 'ok', 'STALE_EPOCH', 'ok'],
          ...['FORBIDDEN', 'NOT_JOINED', 'ok', 'NOT_JOINED'],
        ]);
        const changed = results.map((r) => !(r instanceof Error) && r.changed);
        expect(changed).toStrictEqual([false, true, false, false, false, false, false, false]);
        const refreshed = [
          [results[0], a],
          [results[3], d],
          [results[6], f],
        ] as const;
        for (const [outcome, { joined }] of refreshed) {
          const { member, expiresAt } = outcome as HeartbeatOutcome;
          expect(member).toStrictEqual({ ...joined.member, lastSeenAt: member.lastSeenAt });
          expect(member.lastSeenAt).toBeGreaterThan(joined.member.lastSeenAt);
          expect(expiresAt).toBeGreaterThan(joined.expiresAt);
        }
        expect(results[1]).toMatchObject({ member: { connId: 'b', state: { n: 2, m: 2 } } });
        const r1 = await engine.list('r1');
        expect(r1.map((m) => [m.connId, m.state])).toStrictEqual([
          ['a', { n: 1 }],
          ['b', { n: 2, m: 2 }],
          ['c', {}],
        ]);
        expect((await engine.list('r2')).map((m) => m.connId)).toStrictEqual(['d']);
      });
    });

    describe('leave and markAway', () => {
      it('removes connections; userGone only with the last one of the user', async () => {
        await engine.join(joinCmd());
        await engine.join(joinCmd({ connId: 'c2' }));
        const first = await engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' });
        expect(first).toMatchObject({ roomId: 'r1', userGone: false, member: { connId: 'c1' } });
        expect(first?.roomEmpty).toBe(false);
        const last = await engine.leave({ roomId: 'r1', connId: 'c2', userId: 'u1' });
        expect(last).toMatchObject({ userGone: true, roomEmpty: true, member: { connId: 'c2' } });
        expect(await engine.leave({ roomId: 'r1', connId: 'c2', userId: 'u1' })).toBeUndefined();
        expect(await engine.list('r1')).toStrictEqual([]);
      });

      it('is fenced by epoch and refuses another user', async () => {
        const { epoch } = await engine.join(joinCmd());
        const ref = { roomId: 'r1', connId: 'c1', userId: 'u1' };
        expect(await engine.leave({ ...ref, epoch: epoch - 1 })).toBeUndefined();
        expect(await codeOf(engine.leave({ ...ref, userId: 'u2' }))).toBe('FORBIDDEN');
        expect(await engine.list('r1')).toHaveLength(1);
        expect(await engine.leave({ ...ref, epoch })).toMatchObject({ userGone: true });
      });

      it('marks away once, only the current epoch', async () => {
        const { epoch } = await engine.join(joinCmd({ state: { a: 1 } }));
        const ref = { roomId: 'r1', connId: 'c1', userId: 'u1' };
        expect(await engine.markAway({ ...ref, epoch: epoch - 1 })).toBeUndefined();
        expect(await engine.markAway({ ...ref, userId: 'u2', epoch })).toBeUndefined();
        expect((await engine.list('r1'))[0].status).toBe('online');
        const away = await engine.markAway({ ...ref, epoch });
        expect(away).toMatchObject({ connId: 'c1', status: 'away', state: { a: 1 } });
        expect(await engine.markAway({ ...ref, epoch })).toBeUndefined();
        expect((await engine.list('r1'))[0].status).toBe('away');
      });
    });

    describe('list', () => {
      it('lists a room and the rooms of a user', async () => {
        await engine.join(joinCmd());
        await engine.join(joinCmd({ connId: 'c2', userId: 'u2' }));
        await engine.join(joinCmd({ roomId: 'r2', connId: 'c3' }));
        expect(byConn(await engine.list('r1')).map((m) => m.connId)).toStrictEqual(['c1', 'c2']);
        expect(await engine.list('nowhere')).toStrictEqual([]);
        const rooms = await engine.listForUser('u1');
        const summary = rooms.map((r) => [r.roomId, r.members.map((m) => m.connId)]);
        expect(summary.sort()).toStrictEqual([
          ['r1', ['c1']],
          ['r2', ['c3']],
        ]);
        expect(await engine.listForUser('nobody')).toStrictEqual([]);
        await engine.leave({ roomId: 'r2', connId: 'c3', userId: 'u1' });
        expect((await engine.listForUser('u1')).map((r) => r.roomId)).toStrictEqual(['r1']);
      });

      it('round-trips state JSON exactly', async () => {
        const state: JsonObject = {
          empty: [],
          nested: { deeper: {}, list: [[], {}, null] },
          float: 0.30000000000000004,
          big: 1e21,
          text: 'héllo 🌍 "quoted" \\ /slash\u0001',
        };
        const { epoch } = await engine.join(joinCmd({ state }));
        expect(JSON.stringify((await engine.list('r1'))[0].state)).toBe(JSON.stringify(state));
        await engine.heartbeat(beat(epoch, [{ statePatch: { added: [] } }]));
        const after = (await engine.list('r1'))[0].state;
        expect(JSON.stringify(after)).toBe(JSON.stringify({ ...state, added: [] }));
        expect(after).toStrictEqual({ ...state, added: [] });
      });
    });

    describe('sweepExpired', () => {
      it('removes each expired connection exactly once', async () => {
        await engine.join(joinCmd());
        await engine.join(joinCmd({ connId: 'c2' }));
        await engine.join(joinCmd({ connId: 'c3', userId: 'u3', ttlMs: LONG_TTL_MS }));
        await h.advance(TTL_MS + 50);
        const [a, b] = await Promise.all([engine.sweepExpired(10), engine.sweepExpired(10)]);
        const removed = [...a.removed, ...b.removed];
        expect(removed.map((r) => r.member.connId).sort()).toStrictEqual(['c1', 'c2']);
        expect(removed.filter((r) => r.userGone)).toHaveLength(1);
        expect(removed.filter((r) => r.roomEmpty)).toHaveLength(0);
        expect((await engine.sweepExpired(10)).removed).toStrictEqual([]);
        expect((await engine.list('r1')).map((m) => m.connId)).toStrictEqual(['c3']);
        expect((await engine.listForUser('u1')).map((r) => r.roomId)).toStrictEqual([]);
      });

      it('visits at most maxRooms rooms per call', async () => {
        for (const roomId of ['r1', 'r2', 'r3']) {
          await engine.join(joinCmd({ roomId }));
        }
        await h.advance(TTL_MS + 50);
        const first = await engine.sweepExpired(2);
        expect(first.roomsVisited).toBe(2);
        expect(first.removed).toHaveLength(2);
        const rest = await engine.sweepExpired(2);
        expect(rest.removed.map((r) => r.roomId)).toHaveLength(1);
        const rooms = [...first.removed, ...rest.removed].map((r) => r.roomId).sort();
        expect(rooms).toStrictEqual(['r1', 'r2', 'r3']);
      });
    });

    describe('version 2 rules', () => {
      it('refuses a new connId beyond maxConnsPerUser, never a resume', async () => {
        const two = { maxConnsPerUser: 2 };
        await engine.join(joinCmd(two));
        await engine.join(joinCmd({ ...two, connId: 'c2' }));
        expect(await codeOf(engine.join(joinCmd({ ...two, connId: 'c3' })))).toBe('ROOM_FULL');
        expect((await engine.join(joinCmd({ ...two, connId: 'c2' }))).resumed).toBe(true);
        const other = await engine.join(joinCmd({ ...two, connId: 'c3', userId: 'u2' }));
        expect(other.members.map((m) => m.connId)).toStrictEqual(['c1', 'c2', 'c3']);
        await engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' });
        expect((await engine.join(joinCmd({ ...two, connId: 'c4' }))).resumed).toBe(false);
      });

      it('isPresent: online or away; not after leave or a timeout sweep; per user', async () => {
        const { epoch } = await engine.join(joinCmd());
        await engine.join(joinCmd({ connId: 'c2', userId: 'u2', ttlMs: LONG_TTL_MS }));
        expect(await engine.isPresent('r1', 'u1')).toBe(true);
        expect(await engine.isPresent('r1', 'u3')).toBe(false);
        expect(await engine.isPresent('r2', 'u1')).toBe(false);
        await engine.markAway({ roomId: 'r1', connId: 'c1', userId: 'u1', epoch });
        expect(await engine.isPresent('r1', 'u1')).toBe(true);
        await h.advance(TTL_MS + 50);
        expect((await engine.sweepExpired(10)).removed).toHaveLength(1);
        expect(await engine.isPresent('r1', 'u1')).toBe(false);
        expect(await engine.isPresent('r1', 'u2')).toBe(true);
        await engine.leave({ roomId: 'r1', connId: 'c2', userId: 'u2' });
        expect(await engine.isPresent('r1', 'u2')).toBe(false);
      });

      it('orders members by connId and rooms by roomId', async () => {
        for (const [connId, roomId] of [
          ['c3', 'r2'],
          ['c1', 'r1'],
          ['C2', 'r1'],
          ['c2', 'r1'],
        ]) {
          await engine.join(joinCmd({ connId, roomId, userId: `u-${connId}` }));
        }
        const joined = await engine.join(joinCmd({ connId: 'b', userId: 'u-b' }));
        const order = ['C2', 'b', 'c1', 'c2'];
        expect(joined.members.map((m) => m.connId)).toStrictEqual(order);
        expect((await engine.list('r1')).map((m) => m.connId)).toStrictEqual(order);
        await engine.join(joinCmd({ roomId: 'r0', connId: 'x', userId: 'u-b' }));
        const rooms = await engine.listForUser('u-b');
        expect(rooms.map((r) => r.roomId)).toStrictEqual(['r0', 'r1']);
      });

      it('reports roomEmpty with the sweep that removed the last connection', async () => {
        await engine.join(joinCmd());
        await engine.join(joinCmd({ connId: 'c2', userId: 'u2' }));
        await h.advance(TTL_MS + 50);
        const { removed } = await engine.sweepExpired(10);
        expect(removed.map((r) => r.roomEmpty)).toStrictEqual([false, true]);
      });
    });

    describe('reaper lease', () => {
      it('is held by one holder, renewed by it, free after expiry', async () => {
        expect(await engine.acquireReaperLease('A', 200)).toBe(true);
        expect(await engine.acquireReaperLease('B', 200)).toBe(false);
        expect(await engine.acquireReaperLease('A', 200)).toBe(true);
        await h.advance(250);
        expect(await engine.acquireReaperLease('B', 200)).toBe(true);
        expect(await engine.acquireReaperLease('A', 200)).toBe(false);
      });
    });
  });
}
