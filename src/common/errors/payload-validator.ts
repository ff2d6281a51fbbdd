import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from '../class-validator.js';
import { findForbiddenKey, isJsonObject, jsonDepth, MAX_JSON_DEPTH } from '../json.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import { AppError } from './app-error.js';
import { compileDto } from './compiled-dto.js';

type Ctor = new () => object;

/** Throws the AppError that answers an invalid payload; returns for a valid one. */
export type PayloadCheck = (payload: unknown) => void;

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true };

/**
 * The check of one DTO, built once: an object, no prototype keys, no nesting beyond
 * MAX_JSON_DEPTH, no unknown fields, then the DTO's class-validator rules. A payload the
 * compiled rules accept costs no reflection; any other goes through class-validator, which
 * names the first failing field (values are never echoed). The handler receives the
 * original JSON untouched.
 */
export function payloadCheck(metatype: Ctor): PayloadCheck {
  const compiled = compileDto(metatype);
  return (payload) => {
    if (!isJsonObject(payload)) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'payload must be a JSON object');
    }
    if (jsonDepth(payload) > MAX_JSON_DEPTH) {
      throw new AppError(ErrorCode.BAD_REQUEST, `payload nests deeper than ${MAX_JSON_DEPTH}`);
    }
    const forbidden = findForbiddenKey(payload);
    if (forbidden) {
      throw new AppError(ErrorCode.BAD_REQUEST, `${forbidden}: forbidden key`, {
        field: forbidden,
      });
    }
    if (compiled?.(payload)) {
      return;
    }
    const errors = validateSync(plainToInstance(metatype, payload), OPTIONS);
    if (errors.length > 0) {
      throw toAppError(errors[0]);
    }
  };
}

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
