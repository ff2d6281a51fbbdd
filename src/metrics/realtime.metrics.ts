import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Live readings taken at scrape time. */
export interface GaugeSources {
  connections(): number;
  rooms(): number;
  /** Absent on the memory engine, and so is the metric. */
  redisUp?(): boolean;
}

/**
 * Every metric of the server, in one registry per app instance (two apps in one process
 * never collide). Labels come from small fixed sets: event names, outcomes (ok or an
 * error code), limits, reasons; never user, room or connection ids.
 */
export class RealtimeMetrics {
  readonly registry = new Registry();
  private sources: GaugeSources = { connections: () => 0, rooms: () => 0 };

  readonly connections: Gauge = new Gauge({
    name: 'realtime_connections',
    help: 'Sockets connected to this process',
    registers: [this.registry],
    collect: (): void => this.connections.set(this.sources.connections()),
  });

  readonly connectionsTotal = new Counter({
    name: 'realtime_connections_total',
    help: 'Handshakes by result (accepted, refused) and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'realtime_events_total',
    help: 'Client requests by event and outcome (ok or the error code)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventDuration = new Histogram({
    name: 'realtime_event_duration_seconds',
    help: 'Time from receiving a request to its ack',
    labelNames: ['event'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly broadcasts = new Counter({
    name: 'realtime_broadcasts_total',
    help: 'Events broadcast (once per change, whatever the number of recipients)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly rooms: Gauge = new Gauge({
    name: 'realtime_rooms',
    help: 'Rooms with at least one socket on this process',
    registers: [this.registry],
    collect: (): void => this.rooms.set(this.sources.rooms()),
  });

  readonly heartbeatBatchSize = new Histogram({
    name: 'realtime_heartbeat_batch_size',
    help: 'Sessions per heartbeat batch (batched mode)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });

  readonly reaped = new Counter({
    name: 'realtime_reaped_connections_total',
    help: 'Connections removed after their TTL',
    registers: [this.registry],
  });

  readonly metadataRetries = new Counter({
    name: 'realtime_metadata_retries_total',
    help: 'Metadata transactions retried after a concurrent change',
    registers: [this.registry],
  });

  readonly metadataConflicts = new Counter({
    name: 'realtime_metadata_conflicts_total',
    help: 'Metadata writes answered REVISION_CONFLICT',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'realtime_rate_limited_total',
    help: 'Requests or handshakes refused by a limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly redisUp: Gauge = new Gauge({
    name: 'realtime_redis_up',
    help: '1 while every Redis connection of this process is ready (absent on the memory engine)',
    registers: [],
    collect: (): void => this.redisUp.set(this.sources.redisUp?.() ? 1 : 0),
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  readFrom(sources: GaugeSources): void {
    this.sources = sources;
    if (sources.redisUp) {
      this.registry.registerMetric(this.redisUp);
    }
  }
}
