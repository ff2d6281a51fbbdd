import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { ok, type Ack } from '../protocol/index.js';

/** Wraps whatever a handler returns as `{ ok: true, data }`. */
export class AckInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<Ack<unknown>> {
    return next.handle().pipe(map((data: unknown) => ok(data ?? {})));
  }
}
