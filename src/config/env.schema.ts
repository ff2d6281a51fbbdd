/**
 * Every setting the server reads, with its default and bounds. The README's table and
 * `.env.example` are kept equal to this list by a unit test.
 */
type IntSpec = { kind: 'int'; default: number; min: number; max: number };
type EnumSpec = { kind: 'enum'; default: string; values: readonly string[] };
type StringSpec = { kind: 'string'; default?: string; pattern?: RegExp; rule?: string };
type BoolSpec = { kind: 'bool'; default: boolean };
/** `false` = 0, `true` = 1, or a whole number of hops up to `max`. */
type HopsSpec = { kind: 'hops'; default: number; max: number };
export type SettingSpec = (IntSpec | EnumSpec | StringSpec | BoolSpec | HopsSpec) & {
  doc: string;
};

const int = (def: number, min: number, max: number, doc: string): SettingSpec => ({
  kind: 'int',
  default: def,
  min,
  max,
  doc,
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const ENV_SCHEMA = {
  NODE_ENV: {
    kind: 'enum',
    default: 'development',
    values: ['development', 'production', 'test'],
    doc: '`production` requires AUTH_JWT_SECRET',
  },
  PORT: int(
    3000,
    0,
    65535,
    'HTTP + Socket.IO port (0 = pick a free one; the chosen port is logged)',
  ),
  REDIS_URL: {
    kind: 'string',
    pattern: /^rediss?:\/\/\S+$/,
    rule: 'must be a redis:// or rediss:// URL',
    doc: '`redis://host:port/db`; unset = in-memory engine (one process)',
  },
  REDIS_CLUSTER_NODES: {
    kind: 'string',
    pattern: /^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/,
    rule: 'must be a comma-separated list of host:port',
    doc: 'seed nodes of a Redis Cluster (`host:port,…`), instead of REDIS_URL',
  },
  REDIS_KEY_PREFIX: {
    kind: 'string',
    default: 'prs',
    pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
    rule: 'must be 1-64 characters of [A-Za-z0-9_.:-]',
    doc: 'prefix of every Redis key and of the Socket.IO adapter channels',
  },
  REDIS_COMMAND_TIMEOUT_MS: int(
    2000,
    50,
    MINUTE,
    'deadline of one Redis command (UNAVAILABLE after)',
  ),
  REDIS_POOL_SIZE: int(5, 1, 1000, 'dedicated connections for metadata transactions'),
  REDIS_POOL_ACQUIRE_TIMEOUT_MS: int(1000, 10, MINUTE, 'longest wait for a pooled connection'),
  METADATA_MAX_RETRIES: int(5, 0, 100, 'retries of an aborted metadata transaction'),
  AUTH_JWT_SECRET: {
    kind: 'string',
    pattern: /^.{16,}$/s,
    rule: 'must be at least 16 characters',
    doc: 'HS256 secret of handshake tokens; required when NODE_ENV=production',
  },
  AUTH_CLOCK_TOLERANCE_S: int(5, 0, 300, 'leeway in seconds for `exp`, `nbf` and `iat`'),
  AUTH_JWT_ISSUER: {
    kind: 'string',
    pattern: /^[\x21-\x7e]{1,256}$/,
    rule: 'must be 1-256 printable ASCII characters without spaces',
    doc: "when set, a token's `iss` must equal it",
  },
  AUTH_JWT_AUDIENCE: {
    kind: 'string',
    pattern: /^[\x21-\x7e]{1,256}$/,
    rule: 'must be 1-256 printable ASCII characters without spaces',
    doc: "when set, a token's `aud` must contain it",
  },
  PRESENCE_TTL_MS: int(30_000, 1000, HOUR, 'a connection not heard from for this long is removed'),
  PRESENCE_HEARTBEAT_INTERVAL_MS: int(
    10_000,
    100,
    HOUR,
    'heartbeat interval advised in the join ack',
  ),
  PRESENCE_HEARTBEAT_MODE: {
    kind: 'enum',
    default: 'lua',
    values: ['lua', 'batched'],
    doc: '`lua`: one script call per heartbeat; `batched`: heartbeats gathered into pipelines',
  },
  HEARTBEAT_BATCH_WINDOW_MS: int(50, 1, 1000, 'batched mode: longest wait before a batch is sent'),
  HEARTBEAT_MAX_BATCH_SIZE: int(100, 1, 10_000, 'batched mode: a batch is sent once this full'),
  REAPER_INTERVAL_MS: int(5000, 50, HOUR, 'how often expired connections are swept'),
  REAPER_BATCH_SIZE: int(100, 1, 10_000, 'rooms swept per reaper batch'),
  ROOM_MAX_MEMBERS: int(50, 1, 100_000, 'distinct users per room'),
  ROOM_MAX_CONN_PER_USER: int(4, 1, 1000, 'connections (connIds) of one user in one room'),
  MAX_LOCKS_PER_CHANNEL: int(64, 1, 10_000, 'distinct live lock names per channel'),
  MAX_SUBSCRIPTIONS_PER_SOCKET: int(100, 1, 100_000, 'user channels one socket may subscribe to'),
  ROOM_CHANNEL_RETENTION_MS: int(
    HOUR,
    1000,
    30 * 24 * HOUR,
    "a room channel's items and locks are deleted this long after its room's last member left",
  ),
  GAME_TURN_TIMEOUT_MS: int(
    0,
    0,
    HOUR,
    'a game phase waiting on players ends this long after it began, with the default action; 0 = never',
  ),
  GAME_RETENTION_MS: int(
    DAY,
    60_000,
    30 * DAY,
    "a room's game is forgotten this long after its last change",
  ),
  MAX_CONN_PER_INSTANCE: int(1000, 1, 1_000_000, 'connections one process accepts'),
  RATE_CONN_PER_MINUTE_PER_IP: int(
    20,
    1,
    1_000_000,
    'failed handshakes (no or invalid token) per IP per minute',
  ),
  RATE_CONN_VALID_PER_MINUTE_PER_IP: int(
    600,
    1,
    1_000_000,
    'handshakes with a valid token per IP per minute',
  ),
  RATE_EVENTS_PER_SECOND: int(30, 1, 100_000, 'requests per socket per second'),
  MAX_CONN_PER_USER: int(10, 1, 100_000, 'connections of one user this process accepts'),
  MAX_ROOMS_PER_SOCKET: int(10, 1, 10_000, 'rooms one socket may join'),
  CORS_ORIGIN: {
    kind: 'string',
    // Any scheme: WeChat mini-games on iOS send `Origin: weapp://wechat-game-runtime`.
    pattern: /^[a-z][a-z0-9+.-]*:\/\/[^\s,]+(,[a-z][a-z0-9+.-]*:\/\/[^\s,]+)*$/i,
    rule: 'must be a comma-separated list of origins (scheme://host[:port])',
    doc: 'allowed origins; unset = any',
  },
  TRUST_PROXY: {
    kind: 'hops',
    default: 0,
    max: 32,
    doc: '`false`, or the number of proxies in front (`true` = 1) whose X-Forwarded-For entries are trusted',
  },
  WORKERS: {
    kind: 'string',
    pattern: /^(auto|\d{1,3})$/,
    rule: 'must be `auto` or a whole number of workers',
    doc: 'worker processes behind one port (`auto` = one per core); unset or 0 = one process',
  },
  METRICS_PORT: {
    kind: 'string',
    pattern: /^([1-9]\d{0,4})$/,
    rule: 'must be a port number',
    doc: 'serve /metrics and /stats on this internal port (plus NODE_APP_INSTANCE) instead',
  },
  NODE_APP_INSTANCE: int(
    0,
    0,
    1000,
    'worker number, set by PM2 in cluster mode; offsets METRICS_PORT',
  ),
  SOCKET_MAX_PAYLOAD_BYTES: int(65_536, 1024, 16 * 1024 * 1024, 'largest accepted frame'),
  SOCKET_PING_INTERVAL_MS: int(10_000, 100, HOUR, 'transport ping interval'),
  SOCKET_PING_TIMEOUT_MS: int(10_000, 100, HOUR, 'transport pong deadline'),
  SOCKET_CONNECT_TIMEOUT_MS: int(
    10_000,
    100,
    MINUTE,
    'an Engine.IO session that has not completed the Socket.IO CONNECT by then is closed',
  ),
  SHUTDOWN_GRACE_MS: int(
    2000,
    0,
    10 * MINUTE,
    'wait between `server:shutdown` and closing sockets',
  ),
  SHUTDOWN_RECONNECT_JITTER_MS: int(1000, 0, 10 * MINUTE, 'upper bound of `reconnectAfterMs`'),
  SHUTDOWN_CLOSE_TIMEOUT_MS: int(
    700,
    100,
    MINUTE,
    'budget after the grace period: disconnect wait (50 %), then transports still open are terminated; each heartbeat flush (10 %), the transaction pool (5 %), Redis QUIT (15 %); the process exits by grace + this whatever is pending',
  ),
  LOG_FORMAT: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'json', 'pretty'],
    doc: '`json`: one JSON object per line, for collectors; `pretty`: coloured lines for a person; `auto`: json when NODE_ENV is production, pretty otherwise',
  },
  DEMO_PAGE: {
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'on', 'off'],
    doc: 'serve the demo page at /demo; `auto`: on unless NODE_ENV is production',
  },
  LOG_LEVEL: {
    kind: 'enum',
    default: 'log',
    values: ['error', 'warn', 'log', 'debug', 'verbose'],
    doc: 'least severe level written: `error` < `warn` < `log` (lifecycle, connections) < `debug` < `verbose`',
  },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof ENV_SCHEMA;

/** The validated configuration: every setting typed, unset optional ones undefined. */
export interface Env {
  NODE_ENV: 'development' | 'production' | 'test';
  PORT: number;
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_KEY_PREFIX: string;
  REDIS_COMMAND_TIMEOUT_MS: number;
  REDIS_POOL_SIZE: number;
  REDIS_POOL_ACQUIRE_TIMEOUT_MS: number;
  METADATA_MAX_RETRIES: number;
  AUTH_JWT_SECRET?: string;
  AUTH_CLOCK_TOLERANCE_S: number;
  AUTH_JWT_ISSUER?: string;
  AUTH_JWT_AUDIENCE?: string;
  PRESENCE_TTL_MS: number;
  PRESENCE_HEARTBEAT_INTERVAL_MS: number;
  PRESENCE_HEARTBEAT_MODE: 'lua' | 'batched';
  HEARTBEAT_BATCH_WINDOW_MS: number;
  HEARTBEAT_MAX_BATCH_SIZE: number;
  REAPER_INTERVAL_MS: number;
  REAPER_BATCH_SIZE: number;
  ROOM_MAX_MEMBERS: number;
  ROOM_MAX_CONN_PER_USER: number;
  MAX_LOCKS_PER_CHANNEL: number;
  MAX_SUBSCRIPTIONS_PER_SOCKET: number;
  ROOM_CHANNEL_RETENTION_MS: number;
  /** Turn timer of a game phase waiting on players; 0 = off (GAME.md, turn timers). */
  GAME_TURN_TIMEOUT_MS: number;
  GAME_RETENTION_MS: number;
  MAX_CONN_PER_INSTANCE: number;
  RATE_CONN_PER_MINUTE_PER_IP: number;
  RATE_CONN_VALID_PER_MINUTE_PER_IP: number;
  RATE_EVENTS_PER_SECOND: number;
  MAX_CONN_PER_USER: number;
  MAX_ROOMS_PER_SOCKET: number;
  CORS_ORIGIN?: string;
  /** Trusted proxy hops in front of this server (0 = none: X-Forwarded-For is ignored). */
  TRUST_PROXY: number;
  WORKERS?: string;
  METRICS_PORT?: string;
  NODE_APP_INSTANCE: number;
  SOCKET_MAX_PAYLOAD_BYTES: number;
  SOCKET_PING_INTERVAL_MS: number;
  SOCKET_PING_TIMEOUT_MS: number;
  SOCKET_CONNECT_TIMEOUT_MS: number;
  SHUTDOWN_GRACE_MS: number;
  SHUTDOWN_RECONNECT_JITTER_MS: number;
  SHUTDOWN_CLOSE_TIMEOUT_MS: number;
  LOG_FORMAT: 'auto' | 'json' | 'pretty';
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** The demo page at /demo; `auto` = on unless production. Dev tokens: see DevTokens. */
  DEMO_PAGE: 'auto' | 'on' | 'off';
}
