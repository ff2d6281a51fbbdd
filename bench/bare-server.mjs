// The baseline: bare Socket.IO from the project's own node_modules, answering each event
// the bench sends with an ack of the same shape as the project's, and nothing else
// (no auth check beyond a token being present, no validation, no storage). With REDIS_URL
// set it uses the Redis adapter, so broadcasts cross processes like the project's.
// GET /stats answers { cpu: process.cpuUsage(), memory: { rss, heapUsed }, connections }.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';

const http = createServer((req, res) => {
  if (req.url !== '/stats') {
    res.writeHead(404).end();
    return;
  }
  const { rss, heapUsed } = process.memoryUsage();
  const stats = {
    cpu: process.cpuUsage(),
    memory: { rss, heapUsed },
    connections: io.engine.clientsCount,
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
});
const io = new Server(http, { transports: ['websocket'], serveClient: false });

if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  io.adapter(createAdapter(pub, pub.duplicate(), { key: process.env.REDIS_KEY_PREFIX ?? 'bare' }));
}

io.use((socket, next) =>
  next(socket.handshake.auth?.token ? undefined : new Error('UNAUTHENTICATED')),
);

let nextId = 0;
io.on('connection', (socket) => {
  const userId = `user-${nextId++}`;
  socket.on('presence:join', ({ roomId, connId }, ack) => {
    void socket.join(roomId);
    ack({
      ok: true,
      data: {
        roomId,
        connId,
        epoch: 1,
        resumed: false,
        heartbeatIntervalMs: 10000,
        ttlMs: 30000,
        members: [],
      },
    });
  });
  socket.on('presence:heartbeat', ({ epoch }, ack) => {
    ack({ ok: true, data: { epoch, changed: false, expiresAt: Date.now() + 30000 } });
  });
  socket.on('room:message', ({ roomId, type = 'message', data }, ack) => {
    const id = `m${nextId++}`;
    const ts = Date.now();
    socket
      .to(roomId)
      .emit('room:message', { roomId, id, from: { userId, connId: socket.id }, type, data, ts });
    ack({ ok: true, data: { id, ts } });
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on port ${http.address().port} (engine: bare)`);
});
process.on('SIGTERM', () => {
  io.close();
  process.exit(0);
});
