import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, tap, throwError, type Observable } from 'rxjs';
import { AppError } from '../common/errors/app-error.js';
import { RealtimeMetrics } from './realtime.metrics.js';

/** Counts every request by event and outcome, and times it. */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: RealtimeMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const event = context.switchToWs().getPattern();
    const stop = this.metrics.eventDuration.startTimer({ event });
    return next.handle().pipe(
      tap(() => {
        stop();
        this.metrics.events.inc({ event, outcome: 'ok' });
      }),
      catchError((err: unknown) => {
        stop();
        const outcome = err instanceof AppError ? err.code : 'INTERNAL';
        this.metrics.events.inc({ event, outcome });
        if (outcome === 'REVISION_CONFLICT') {
          this.metrics.metadataConflicts.inc();
        }
        return throwError(() => err);
      }),
    );
  }
}
