import { ValidateIf, ValidateBy, buildMessage, type ValidationOptions } from './class-validator.js';
import { RESOURCE_ID } from './ids.js';
import { isJsonData, isJsonObject, jsonBytes } from './json.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';

const NOT_JSON_DATA = 'must hold only JSON data (finite numbers, no binary)';

/** Required, but any JSON data including `null` (values and message data). */
export const IsJsonValue = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isJsonValue',
      validator: {
        validate: (value: unknown) => value !== undefined && isJsonData(value),
        defaultMessage: buildMessage(
          (each, args) =>
            args?.value === undefined
              ? `${each}$property is required`
              : `${each}$property ${NOT_JSON_DATA}`,
          options,
        ),
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

/** A plain JSON object of JSON data (presence state and patches). */
export const IsJsonObject = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isJsonObject',
      validator: {
        validate: (value: unknown) => isJsonObject(value) && isJsonData(value),
        defaultMessage: buildMessage(
          (each, args) =>
            isJsonObject(args?.value)
              ? `${each}$property ${NOT_JSON_DATA}`
              : `${each}$property must be a JSON object`,
          options,
        ),
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
