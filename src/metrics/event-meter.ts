import type { Counter, Histogram } from 'prom-client';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import type { RealtimeMetrics } from './realtime.metrics.js';

type CounterChild = ReturnType<Counter<'event' | 'outcome'>['labels']>;
type HistogramChild = ReturnType<Histogram<'event'>['labels']>;

/**
 * `realtime_events_total{event,outcome}` and `realtime_event_duration_seconds{event}` for
 * one request name, with the label children bound once at start (failures, rare, look
 * theirs up by code).
 */
export class EventMeter {
  private readonly succeeded: CounterChild;
  private readonly duration: HistogramChild;

  constructor(
    private readonly metrics: RealtimeMetrics,
    private readonly event: string,
  ) {
    this.succeeded = metrics.events.labels({ event, outcome: 'ok' });
    this.duration = metrics.eventDuration.labels({ event });
  }

  /** `startedAt` is a performance.now() reading taken when the request arrived. */
  ok(startedAt: number): void {
    this.duration.observe((performance.now() - startedAt) / 1000);
    this.succeeded.inc();
  }

  failed(code: ErrorCode, startedAt: number): void {
    this.duration.observe((performance.now() - startedAt) / 1000);
    this.metrics.events.inc({ event: this.event, outcome: code });
    if (code === ErrorCode.REVISION_CONFLICT) {
      this.metrics.metadataConflicts.inc();
    }
  }
}
