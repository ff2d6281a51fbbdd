import { ValidateIf, ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';
import { RESOURCE_ID } from './ids.js';
import { isJsonObject, jsonBytes } from './json.js';
import { ErrorCode } from './protocol/index.js';

/** Required, but any JSON including `null` (values and message data). */
export const IsJsonValue = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isJsonValue',
      validator: {
        validate: (value: unknown) => value !== undefined,
        defaultMessage: buildMessage((each) => `${each}$property is required`, options),
      },
    },
    options,
  );

/** Optional, but `null` is refused: omit the field instead (PROTOCOL.md). */
export const IsOptionalField = (): PropertyDecorator =>
  ValidateIf((_object, value) => value !== undefined);

export const IsResourceId = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isResourceId',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && RESOURCE_ID.test(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be 1-64 characters of [A-Za-z0-9_.:-]`,
          options,
        ),
      },
    },
    options,
  );

export const IsJsonObject = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isJsonObject',
      validator: {
        validate: (value: unknown) => isJsonObject(value),
        defaultMessage: buildMessage((each) => `${each}$property must be a JSON object`, options),
      },
    },
    options,
  );

/** A size limit: UTF-8 bytes of the JSON serialization, inclusive. Fails as PAYLOAD_TOO_LARGE. */
export const MaxJsonBytes = (maxBytes: number, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'maxJsonBytes',
      constraints: [maxBytes],
      validator: {
        validate: (value: unknown) => jsonBytes(value) <= maxBytes,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be at most $constraint1 bytes as JSON`,
          options,
        ),
      },
    },
    { ...options, context: { code: ErrorCode.PAYLOAD_TOO_LARGE } },
  );
