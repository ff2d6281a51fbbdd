// The parts of class-validator the DTOs and the validators use, loaded file by file.
// class-validator's index loads every rule it has (validator.js, libphonenumber-js: ~320
// files, ~150 ms CPU of a ~1 s start-up, issue 8); these are the dozen the project uses.
// The metadata storage is global, so rules registered here are the ones the index would see.
// Types come from the package itself (see class-validator-parts.d.ts).
import { Validator } from 'class-validator/cjs/validation/Validator.js';
import type { ValidationError, ValidatorOptions } from 'class-validator';

export { ArrayMaxSize } from 'class-validator/cjs/decorator/array/ArrayMaxSize.js';
export { ArrayMinSize } from 'class-validator/cjs/decorator/array/ArrayMinSize.js';
export { ArrayUnique } from 'class-validator/cjs/decorator/array/ArrayUnique.js';
export { IsArray } from 'class-validator/cjs/decorator/typechecker/IsArray.js';
export { IsBoolean } from 'class-validator/cjs/decorator/typechecker/IsBoolean.js';
export { IsInt } from 'class-validator/cjs/decorator/typechecker/IsInt.js';
export { IsString } from 'class-validator/cjs/decorator/typechecker/IsString.js';
export { Length } from 'class-validator/cjs/decorator/string/Length.js';
export { Max } from 'class-validator/cjs/decorator/number/Max.js';
export { Min } from 'class-validator/cjs/decorator/number/Min.js';
export { IsIn } from 'class-validator/cjs/decorator/common/IsIn.js';
export { IsNotEmpty } from 'class-validator/cjs/decorator/common/IsNotEmpty.js';
export { ValidateNested } from 'class-validator/cjs/decorator/common/ValidateNested.js';
export { ValidateIf } from 'class-validator/cjs/decorator/common/ValidateIf.js';
export { ValidateBy, buildMessage } from 'class-validator/cjs/decorator/common/ValidateBy.js';
export { ValidationTypes } from 'class-validator/cjs/validation/ValidationTypes.js';
export { getMetadataStorage } from 'class-validator/cjs/metadata/MetadataStorage.js';
export type {
  MetadataStorage,
  ValidationArguments,
  ValidationError,
  ValidationOptions,
  ValidatorOptions,
} from 'class-validator';

const validator = new Validator();

/** class-validator's `validateSync(object, options)`, without loading its index. */
export function validateSync(object: object, options?: ValidatorOptions): ValidationError[] {
  return validator.validateSync(object, options);
}
