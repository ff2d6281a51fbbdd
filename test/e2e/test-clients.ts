import { closeAll, connect, type TestSocket } from '../support/client.js';
import { roomCh } from './metadata-helpers.js';
import { join, joinSeenBy } from './presence-helpers.js';

/** The sockets one suite opens, and rooms of joined users; closeAll() after each test. */
export class TestClients {
  private readonly sockets: TestSocket[] = [];

  async open(url: string, userId: string): Promise<TestSocket> {
    const socket = await connect(url, userId);
    this.sockets.push(socket);
    return socket;
  }

  /** `users` connected to `url` and joined to `roomId` (connId `<user>-c`), each seen by the first. */
  async roomWith(url: string, roomId: string, ...users: string[]) {
    const joined: TestSocket[] = [];
    for (const userId of users) {
      const socket = await this.open(url, userId);
      if (joined.length === 0) {
        await join(socket, { roomId, connId: `${userId}-c` });
      } else {
        await joinSeenBy(joined[0], socket, { roomId, connId: `${userId}-c` });
      }
      joined.push(socket);
    }
    return { roomId, channel: roomCh(roomId), sockets: joined };
  }

  closeAll(): void {
    closeAll(...this.sockets.splice(0));
  }
}
