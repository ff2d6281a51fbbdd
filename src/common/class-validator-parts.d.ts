// Types for the single files of class-validator that class-validator.ts loads: each one is
// the same export the package's index declares.

declare module 'class-validator/cjs/decorator/array/ArrayMaxSize.js' {
  export { ArrayMaxSize } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/array/ArrayMinSize.js' {
  export { ArrayMinSize } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/array/ArrayUnique.js' {
  export { ArrayUnique } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/typechecker/IsArray.js' {
  export { IsArray } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/typechecker/IsInt.js' {
  export { IsInt } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/typechecker/IsString.js' {
  export { IsString } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/string/Length.js' {
  export { Length } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/number/Max.js' {
  export { Max } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/number/Min.js' {
  export { Min } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/common/IsIn.js' {
  export { IsIn } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/common/IsNotEmpty.js' {
  export { IsNotEmpty } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/common/ValidateNested.js' {
  export { ValidateNested } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/common/ValidateIf.js' {
  export { ValidateIf } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/common/ValidateBy.js' {
  export { ValidateBy, buildMessage } from 'class-validator';
}
declare module 'class-validator/cjs/validation/ValidationTypes.js' {
  export { ValidationTypes } from 'class-validator';
}
declare module 'class-validator/cjs/metadata/MetadataStorage.js' {
  export { getMetadataStorage } from 'class-validator';
}
declare module 'class-validator/cjs/validation/Validator.js' {
  export { Validator } from 'class-validator';
}
declare module 'class-validator/cjs/decorator/typechecker/IsBoolean.js' {
  export { IsBoolean } from 'class-validator';
}
