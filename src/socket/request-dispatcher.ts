import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { REQUEST_GATEWAY } from '../common/errors/request-gateway.decorator.js';
import { failureBody } from '../common/errors/request-failure.js';
import { CLIENT_EVENTS, ServerEvent, type ErrorBody } from '@avalon-realtime/client/protocol';
import { fail, ok } from '../common/ack.js';
import { EventMeter } from '../metrics/event-meter.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { routesOf, type Route } from './request-routes.js';
import type { AppSocket } from './socket-types.js';

type AckFn = (reply: unknown) => void;
type MeteredRoute = Route & { meter: EventMeter };

/**
 * Runs every client request: one map from event name to route, built at start from the
 * @RequestGateway classes, and no per-socket listeners or rxjs pipelines (the packet guard
 * hands each allowed event here). A request is checked against its DTO, handled, counted
 * and timed, and answered once: `{ ok: true, data }` or `{ ok: false, error }` through its
 * ack, or, without an ack, `server:error` when it failed.
 */
@Injectable()
export class RequestDispatcher implements OnModuleInit {
  private readonly routes = new Map<string, MeteredRoute>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly metrics: RealtimeMetrics,
  ) {}

  onModuleInit(): void {
    const gateways = this.discovery.getProviders({ metadataKey: REQUEST_GATEWAY.KEY });
    for (const { instance } of gateways) {
      for (const route of routesOf(instance as object)) {
        if (!CLIENT_EVENTS.has(route.event) || this.routes.has(route.event)) {
          throw new Error(`${route.event}: not a client event, or handled twice`);
        }
        this.routes.set(route.event, {
          ...route,
          meter: new EventMeter(this.metrics, route.event),
        });
      }
    }
    const unrouted = [...CLIENT_EVENTS].filter((event) => !this.routes.has(event));
    if (unrouted.length > 0) {
      throw new Error(`client events without a handler: ${unrouted.join(', ')}`);
    }
  }

  /** Starts the request; false when no handler has that name. */
  dispatch(socket: AppSocket, event: string, args: unknown[]): boolean {
    const route = this.routes.get(event);
    if (!route) {
      return false;
    }
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as AckFn) : undefined;
    const count = ack ? args.length - 1 : args.length;
    // As Nest's adapter read it: one argument is the payload, several are an array (refused).
    const payload = count === 1 ? args[0] : count === 0 ? undefined : args.slice(0, count);
    void this.run(route, socket, payload, ack);
    return true;
  }

  private async run(route: MeteredRoute, socket: AppSocket, payload: unknown, ack?: AckFn) {
    const startedAt = performance.now();
    let data: unknown;
    try {
      route.check?.(payload);
      data = await route.handle(socket, payload);
    } catch (err) {
      const body = failureBody(err, {
        event: route.event,
        socketId: socket.id,
        userId: socket.data.userId,
      });
      route.meter.failed(body.code, startedAt);
      this.answerFailure(socket, route.event, body, ack);
      return;
    }
    route.meter.ok(startedAt);
    ack?.(ok(data ?? {}));
  }

  private answerFailure(socket: AppSocket, event: string, body: ErrorBody, ack?: AckFn): void {
    if (ack) {
      ack(fail(body));
    } else {
      socket.emit(ServerEvent.ServerError, { event, code: body.code, message: body.message });
    }
  }
}
