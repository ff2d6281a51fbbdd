import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity, Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { PARAMTYPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { MESSAGE_METADATA } from '@nestjs/websockets/constants.js';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum.js';
import {
  ClientEvent,
  ErrorCode,
  ServerEvent,
  type ClientEventName,
  type ClientToServerEvents,
  type ServerEventName,
  type ServerToClientEvents,
} from '@avalon-realtime/client/protocol';
import { getMetadataStorage, ValidationTypes } from '../../src/common/class-validator.js';
import { REQUEST_GATEWAY } from '../../src/common/errors/request-gateway.decorator.js';
import { RoleOptionsDto } from '../../src/game/game.dto.js';
import { ItemWriteDto } from '../../src/metadata/metadata.dto.js';
import { routesOf } from '../../src/socket/request-routes.js';

// The typed Socket.IO maps and the event constants name the same events: the server's
// `Server<…, ServerToClientEvents>` can emit nothing else, and the dispatcher routes only
// ClientEvent names. (Checked by `npm run typecheck`.)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const mapsMatchConstants: [
  Same<keyof ClientToServerEvents, ClientEventName>,
  Same<keyof ServerToClientEvents, ServerEventName>,
] = [true, true];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPEC = readFileSync(join(ROOT, 'docs/asyncapi.yaml'), 'utf8');

type Ctor = new (...args: never[]) => object;
type JsonSchema = { required?: string[]; properties?: Record<string, unknown> };

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

/** Every .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return tsFiles(path);
    }
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const SOURCES = tsFiles(join(ROOT, 'src')).map((path) => ({
  path,
  text: readFileSync(path, 'utf8'),
}));

/** The classes the RequestDispatcher serves: those carrying @RequestGateway's metadata. */
async function requestGateways(): Promise<Ctor[]> {
  const gateways: Ctor[] = [];
  for (const { path } of SOURCES.filter(({ text }) => text.includes('@RequestGateway('))) {
    const exports = (await import(path)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (typeof value === 'function' && Reflect.getMetadata(REQUEST_GATEWAY.KEY, value)) {
        gateways.push(value as Ctor);
      }
    }
  }
  return gateways;
}

/** Event → the DTO class of its @MessageBody, read from the decorators' metadata. */
function bodyDtos(gateway: Ctor): Map<string, Ctor> {
  const dtos = new Map<string, Ctor>();
  const proto = gateway.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    const event: unknown =
      typeof method === 'function' && Reflect.getMetadata(MESSAGE_METADATA, method);
    if (typeof event !== 'string') {
      continue;
    }
    const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, gateway, name) ?? {}) as Record<
      string,
      { index: number }
    >;
    const types = (Reflect.getMetadata(PARAMTYPES_METADATA, proto, name) ?? []) as Ctor[];
    for (const [key, { index }] of Object.entries(params)) {
      if (Number(key.split(':')[0]) === (WsParamtype.PAYLOAD as number)) {
        dtos.set(event, types[index]);
      }
    }
  }
  return dtos;
}

/** A DTO's fields, and those without IsOptionalField (a ValidateIf): the required ones. */
function dtoFields(dto: Ctor): { fields: string[]; required: string[] } {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false);
  const fields = sorted(metadatas.map((m) => m.propertyName));
  const optional = new Set(
    metadatas
      .filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION)
      .map((m) => m.propertyName),
  );
  return { fields, required: fields.filter((field) => !optional.has(field)) };
}

const schemaFields = (schema: JsonSchema) => ({
  fields: sorted(Object.keys(schema.properties ?? {})),
  required: sorted(schema.required ?? []),
});

describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface;
  let warnings: string[];
  let gateways: Ctor[];

  beforeAll(async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(SPEC);
    // Number(): the parser's and spectral's copies of DiagnosticSeverity are distinct types.
    const ofSeverity = (level: DiagnosticSeverity) =>
      diagnostics.filter((d) => Number(d.severity) === Number(level));
    const errors = ofSeverity(DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(parsed).toBeDefined();
    document = parsed!;
    warnings = ofSeverity(DiagnosticSeverity.Warning).map((d) => d.message);
    gateways = await requestGateways();
  });

  const operations = (action: 'send' | 'receive') =>
    document.operations().filter((op) => op.action() === action);
  const eventsOf = (action: 'send' | 'receive') =>
    operations(action).flatMap((op) =>
      op
        .messages()
        .all()
        .map((m) => m.name() ?? `(message ${m.id()} has no name)`),
    );
  const requestMessage = (event: string) => {
    const op = operations('send').find((o) => o.messages().all()[0]?.name() === event);
    return op?.messages().all()[0];
  };

  it('is a valid AsyncAPI 3.0.0 document without warnings', () => {
    expect(document.version()).toBe('3.0.0');
    expect(warnings).toEqual([]);
    expect(mapsMatchConstants).toEqual([true, true]);
  });

  it('sends exactly the ClientEvent requests, each once', () => {
    const sent = eventsOf('send');
    expect(sent).toHaveLength(new Set(sent).size);
    expect(sorted(sent)).toEqual(sorted(Object.values(ClientEvent)));
  });

  it('documents exactly the requests the server routes', () => {
    expect(gateways.length).toBeGreaterThan(0);
    const routed = gateways.flatMap((gateway) =>
      routesOf(Object.create(gateway.prototype as object) as object).map((route) => route.event),
    );
    expect(routed).toHaveLength(new Set(routed).size);
    expect(sorted(routed)).toEqual(sorted(eventsOf('send')));
  });

  it('receives exactly the ServerEvent pushes, each once', () => {
    const received = eventsOf('receive');
    expect(received).toHaveLength(new Set(received).size);
    expect(sorted(received)).toEqual(sorted(Object.values(ServerEvent)));
  });

  it('emits no event by a bare string anywhere in the server', () => {
    const bare = SOURCES.filter(({ text }) => /\.emit\(\s*['"`]/.test(text));
    expect(bare.map(({ path }) => path)).toEqual([]);
  });

  it('answers every request with the ack envelope and names its error codes', () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    for (const op of operations('send')) {
      const replies = op.reply()?.messages().all() ?? [];
      expect({ op: op.id(), replies: replies.length }).toEqual({ op: op.id(), replies: 1 });
      const payload = replies[0].payload()!.json<{ oneOf?: JsonSchema[] }>();
      const [success, failure] = payload.oneOf ?? [];
      expect(success?.required).toEqual(['ok', 'data']);
      expect(failure?.required).toEqual(['ok', 'error']);
      const errors = op.extensions().get('x-errors')?.value<string[]>() ?? [];
      expect({ op: op.id(), errors: errors.length > 0 }).toEqual({ op: op.id(), errors: true });
      expect(errors.filter((code) => !codes.has(code))).toEqual([]);
      expect(errors).toEqual(expect.arrayContaining(['BAD_REQUEST', 'INTERNAL']));
    }
  });

  it('gives each request the fields and required fields of its DTO, and no others', () => {
    const checked: string[] = [];
    for (const gateway of gateways) {
      for (const [event, dto] of bodyDtos(gateway)) {
        const schema = requestMessage(event)
          ?.payload()
          ?.json<JsonSchema & { additionalProperties?: unknown }>();
        expect({ event, schema: schema && schemaFields(schema) }).toEqual({
          event,
          schema: dtoFields(dto),
        });
        expect({ event, additionalProperties: schema?.additionalProperties }).toEqual({
          event,
          additionalProperties: false,
        });
        checked.push(event);
      }
    }
    expect(sorted(checked)).toEqual(sorted(Object.values(ClientEvent)));
    // The nested DTOs, which the loop above does not reach.
    const nested = (name: string) => document.components().schemas().get(name)!.json<JsonSchema>();
    expect(schemaFields(nested('ItemWrite'))).toEqual(dtoFields(ItemWriteDto));
    expect(schemaFields(nested('RoleOptions'))).toEqual(dtoFields(RoleOptionsDto));
  });
});
