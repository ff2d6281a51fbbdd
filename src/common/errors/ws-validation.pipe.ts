import type { PipeTransform, ArgumentMetadata } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { findForbiddenKey, isJsonObject, jsonDepth, MAX_JSON_DEPTH } from '../json.js';
import { ErrorCode } from '../protocol/index.js';
import { AppError } from './app-error.js';

type Ctor = new () => object;

/**
 * Validates a request payload against its DTO: an object, no unknown fields, no
 * prototype keys, no nesting beyond MAX_JSON_DEPTH, then class-validator rules.
 * Answers the first failing field and never echoes values. The handler receives the
 * original JSON untouched (class-transformer's copy is used only to validate).
 */
export class WsValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const metatype = metadata.metatype as Ctor | undefined;
    if (metadata.type !== 'body' || !metatype || metatype === Object) {
      return value;
    }
    if (!isJsonObject(value)) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'payload must be a JSON object');
    }
    if (jsonDepth(value) > MAX_JSON_DEPTH) {
      throw new AppError(ErrorCode.BAD_REQUEST, `payload nests deeper than ${MAX_JSON_DEPTH}`);
    }
    const forbidden = findForbiddenKey(value);
    if (forbidden) {
      throw new AppError(ErrorCode.BAD_REQUEST, `${forbidden}: forbidden key`, {
        field: forbidden,
      });
    }
    const errors = validateSync(plainToInstance(metatype, value), {
      whitelist: true,
      forbidNonWhitelisted: true,
      stopAtFirstError: true,
    });
    if (errors.length > 0) {
      throw toAppError(errors[0]);
    }
    return value;
  }
}

export const createWsValidationPipe = (): WsValidationPipe => new WsValidationPipe();

function toAppError(error: ValidationError, parent = ''): AppError {
  const field = parent ? `${parent}.${error.property}` : error.property;
  const child = error.children?.[0];
  if (child && !error.constraints) {
    return toAppError(child, field);
  }
  const [rule, message] = Object.entries(error.constraints ?? {})[0] ?? ['', 'is invalid'];
  const context = error.contexts?.[rule] as { code?: ErrorCode } | undefined;
  const code = context?.code ?? ErrorCode.BAD_REQUEST;
  const text = rule === 'whitelistValidation' ? `${field}: unknown field` : message;
  return new AppError(code, text.startsWith(field) ? text : `${field}: ${text}`, { field });
}
