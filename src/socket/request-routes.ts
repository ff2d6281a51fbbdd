import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PARAMTYPES_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { MESSAGE_METADATA } from '@nestjs/websockets/constants.js';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum.js';
import { payloadCheck, type PayloadCheck } from '../common/errors/payload-validator.js';
import type { AppSocket } from './socket-types.js';

/** One request name, bound once at start: its payload check and its gateway method. */
export interface Route {
  event: string;
  check?: PayloadCheck;
  handle(socket: AppSocket, payload: unknown): unknown;
}

type Handler = (...args: unknown[]) => unknown;
interface ParamMetadata {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

/** Nest features this binding does not run: refused at start rather than silently skipped. */
const UNSUPPORTED = [
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  EXCEPTION_FILTERS_METADATA,
];

/**
 * The @SubscribeMessage methods of a gateway as routes, read from the metadata Nest's
 * decorators recorded: the event name, which arguments are @ConnectedSocket and
 * @MessageBody, and the body's DTO class (whose check is compiled here, once).
 */
export function routesOf(gateway: object): Route[] {
  const proto = Object.getPrototypeOf(gateway) as Record<string, unknown>;
  const routes: Route[] = [];
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    const event: unknown =
      typeof method === 'function' && Reflect.getMetadata(MESSAGE_METADATA, method);
    if (typeof event === 'string') {
      refuseUnsupported(gateway, method as Handler, `${gateway.constructor.name}.${name}`);
      routes.push(routeOf(gateway, name, event));
    }
  }
  return routes;
}

function routeOf(gateway: object, name: string, event: string): Route {
  const method = (gateway as Record<string, Handler>)[name];
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, gateway.constructor, name) ??
    {}) as Record<string, ParamMetadata>;
  const types = (Reflect.getMetadata(PARAMTYPES_METADATA, gateway, name) ?? []) as unknown[];
  const kinds: WsParamtype[] = [];
  let check: PayloadCheck | undefined;
  for (const [key, param] of Object.entries(params)) {
    const kind = Number(key.split(':')[0]) as WsParamtype;
    if (
      (kind !== WsParamtype.SOCKET && kind !== WsParamtype.PAYLOAD) ||
      param.data !== undefined ||
      (param.pipes?.length ?? 0) > 0
    ) {
      throw new Error(
        `${gateway.constructor.name}.${name}: only @ConnectedSocket() and @MessageBody() are bound`,
      );
    }
    kinds[param.index] = kind;
    const dto = types[param.index];
    if (kind === WsParamtype.PAYLOAD && typeof dto === 'function' && dto !== Object) {
      check = payloadCheck(dto as new () => object);
    }
  }
  const handle = (socket: AppSocket, payload: unknown): unknown => {
    const args = new Array<unknown>(kinds.length);
    for (let i = 0; i < kinds.length; i++) {
      args[i] = kinds[i] === WsParamtype.SOCKET ? socket : payload;
    }
    return method.apply(gateway, args);
  };
  return { event, check, handle };
}

function refuseUnsupported(gateway: object, method: Handler, where: string): void {
  for (const key of UNSUPPORTED) {
    const found = [Reflect.getMetadata(key, gateway.constructor), Reflect.getMetadata(key, method)];
    if (found.some((list) => Array.isArray(list) && list.length > 0)) {
      throw new Error(`${where}: ${key} are not run by the request dispatcher`);
    }
  }
}
