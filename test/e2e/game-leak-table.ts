import type { GameMe, GameView, JoinResult, RoleOptions } from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import { dropTransport } from '../support/client.js';
import { seededRandom } from '../support/game-rules.js';
import { RecordedSocket } from './game-leak-recorder.js';

export interface TableSetup {
  /** Room name, and the prefix of every user id at the table. */
  name: string;
  players: number;
  roles: RoleOptions;
  /** Seeds every choice the players make (seats, teams, votes, cards, target). */
  seed: number;
  /** How often an evil team member plays fail. */
  failChance: number;
}

/** A game request the server accepted, as a player sent it, with the version its ack carried. */
export interface Sent {
  version: number;
  actor: string;
  event: string;
  payload: Record<string, unknown>;
  /** The quest being played when it was sent. */
  questIndex: number;
}

export interface Player {
  userId: string;
  /** Which of the two processes the player's first socket is on (players alternate). */
  app: number;
  /** Its live sockets; one player has two. */
  sockets: RecordedSocket[];
}

/**
 * A room on two processes: players alternating between them (one with a second socket on
 * the other), a spectator present but not seated, and an outsider in another room. Every
 * socket ever opened stays in `recordings` for the checks.
 */
export class LeakTable {
  readonly roomId: string;
  readonly rng: ReturnType<typeof seededRandom>;
  readonly recordings: RecordedSocket[] = [];
  readonly sent: Sent[] = [];
  readonly players: Player[] = [];
  /** Each player's own secret, as their game:view told them after the deal. */
  readonly me = new Map<string, GameMe>();
  readonly dropped = new Set<RecordedSocket>();
  /** Evil players who have been on a quest: the first time, they fail (game-leak-driver). */
  readonly evilWhoQuested = new Set<string>();
  /** The newest view any ack carried: what the players all see of the table. */
  view!: GameView;
  spectator!: RecordedSocket;
  outsider!: RecordedSocket;

  constructor(
    readonly setup: TableSetup,
    private readonly apps: readonly [AppProcess, AppProcess],
  ) {
    this.roomId = `leak-${setup.name}`;
    this.rng = seededRandom(setup.seed);
  }

  /** Everyone connects and joins; the host creates, all sit, the host starts. */
  async start(): Promise<void> {
    await this.connectEveryone();
    const host = this.players[0].userId;
    await this.send(host, 'game:create', { roles: this.setup.roles });
    const seats = this.shuffle(Array.from({ length: 10 }, (_, seat) => seat));
    await Promise.all(
      this.players.map((p, i) => this.send(p.userId, 'game:sit', { seat: seats[i] })),
    );
    await this.send(host, 'game:start', {});
    for (const socket of this.live()) {
      const view = await socket.askOk<GameView>('game:view', { roomId: this.roomId });
      if (view.me) {
        this.me.set(socket.userId, view.me);
      }
    }
  }

  /** A game request by `userId` from one of its sockets; fails unless the server accepts it. */
  async send(userId: string, event: string, payload: Record<string, unknown>): Promise<GameView> {
    const questIndex = this.view?.questIndex ?? 0;
    const view = await this.socketOf(userId).askOk<GameView>(event, {
      roomId: this.roomId,
      ...payload,
    });
    this.sent.push({ version: view.version, actor: userId, event, payload, questIndex });
    if (!this.view || view.version > this.view.version) {
      this.view = view;
    }
    return view;
  }

  /** Either of a player's sockets, by lot: both speak for the same user. */
  socketOf(userId: string): RecordedSocket {
    const sockets = this.player(userId).sockets;
    return sockets[this.rng.int(sockets.length)];
  }

  player(userId: string): Player {
    const found = this.players.find((p) => p.userId === userId);
    if (!found) {
      throw new Error(`${userId} does not play at ${this.roomId}`);
    }
    return found;
  }

  /** The sockets in the room now: the players' and the spectator's. */
  live(): RecordedSocket[] {
    return [...this.players.flatMap((p) => p.sockets), this.spectator];
  }

  /** Cuts `userId`'s transport; resolves once the spectator sees them away. */
  async drop(userId: string): Promise<void> {
    const player = this.player(userId);
    const [socket] = player.sockets;
    const away = this.spectator.untilPacket(
      (p) =>
        p.event === 'presence:event' && /"status":"away"/.test(p.json) && p.json.includes(userId),
      `${userId} away`,
    );
    await dropTransport(socket.socket);
    await away;
    player.sockets = player.sockets.filter((s) => s !== socket);
    this.dropped.add(socket);
  }

  /** A new socket of `userId`, on the other process, resumes its presence connection. */
  async resume(userId: string): Promise<JoinResult> {
    const player = this.player(userId);
    player.app = 1 - player.app;
    const socket = await this.open(player.app, `${userId} (resumed)`, userId);
    player.sockets.unshift(socket);
    return this.join(socket, `${userId}-a`);
  }

  close(): void {
    this.recordings.forEach((r) => r.socket.close());
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  private async connectEveryone(): Promise<void> {
    const ids = Array.from({ length: this.setup.players }, (_, i) => `${this.setup.name}-u${i}`);
    for (const [i, userId] of ids.entries()) {
      const socket = await this.open(i % 2, userId, userId);
      this.players.push({ userId, app: i % 2, sockets: [socket] });
      await this.join(socket, `${userId}-a`);
    }
    // A second device of a player who is not the host, on the other process.
    const twice = this.players[1];
    const second = await this.open(1 - twice.app, `${twice.userId} (second)`, twice.userId);
    twice.sockets.push(second);
    await this.join(second, `${twice.userId}-b`);
    this.spectator = await this.open(1, 'spectator', `${this.setup.name}-watcher`);
    await this.join(this.spectator, `${this.setup.name}-watcher-a`);
    this.outsider = await this.open(0, 'outsider', `${this.setup.name}-outsider`);
    await this.outsider.askOk('presence:join', { roomId: `${this.roomId}-next-door` });
  }

  private async open(app: number, name: string, userId: string): Promise<RecordedSocket> {
    const socket = await RecordedSocket.open(this.apps[app].url, `${name} on ${'AB'[app]}`, userId);
    this.recordings.push(socket);
    return socket;
  }

  private join(socket: RecordedSocket, connId: string): Promise<JoinResult> {
    return socket.askOk<JoinResult>('presence:join', { roomId: this.roomId, connId });
  }
}
