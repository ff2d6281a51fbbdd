import { plainToInstance } from 'class-transformer';
import {
  getMetadataStorage,
  ValidationTypes,
  type MetadataStorage,
  type ValidationArguments,
} from '../class-validator.js';
import { isJsonObject } from '../json.js';

type Ctor = new () => object;
type Metadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** Whether a payload (a plain object) passes every rule of a DTO. */
export type DtoTest = (payload: Record<string, unknown>) => boolean;

interface Rule {
  validate(value: unknown, args: ValidationArguments): boolean;
  each: boolean;
  /** Reused for every call: validators are synchronous, and this spares an object per rule. */
  args: ValidationArguments;
}

interface Field {
  property: string;
  conditions: ((object: object, value: unknown) => boolean)[];
  rules: Rule[];
  nested?: DtoTest;
}

const COMPILED_TYPES = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
]);

/**
 * A DTO's class-validator rules, read from class-validator's metadata once, as one function
 * that takes the payload as it came (no class-transformer copy, no metadata lookups).
 * It only ever answers "valid" or "not valid": the caller asks class-validator itself for
 * the failing field, so messages stay class-validator's. Undefined when a rule is outside
 * what it compiles (groups, `always`, async constraints, nested classes without @Type, ...).
 */
export function compileDto(metatype: Ctor): DtoTest | undefined {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype, '', false, false);
  const byProperty = new Map<string, Metadata[]>();
  for (const m of metadatas) {
    if (!COMPILED_TYPES.has(m.type) || m.always || (m.groups?.length ?? 0) > 0) {
      return undefined;
    }
    byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  }
  const fields: Field[] = [];
  for (const [property, list] of byProperty) {
    const field = compileField(metatype, property, list);
    if (!field) {
      return undefined;
    }
    fields.push(field);
  }
  const known = new Set(byProperty.keys());
  return (payload) => {
    for (const key in payload) {
      if (!known.has(key)) {
        return false;
      }
    }
    return fields.every((field) => fieldPasses(field, payload));
  };
}

function compileField(metatype: Ctor, property: string, list: Metadata[]): Field | undefined {
  const field: Field = { property, conditions: [], rules: [] };
  for (const m of list) {
    if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      field.conditions.push(m.constraints[0] as Field['conditions'][number]);
    } else if (m.type === ValidationTypes.NESTED_VALIDATION) {
      const nested = nestedClass(metatype, property);
      field.nested = nested && compileDto(nested);
      if (!field.nested) {
        return undefined;
      }
    } else {
      const constraints = getMetadataStorage().getTargetValidatorConstraints(m.constraintCls);
      if (constraints.length !== 1 || constraints[0].async) {
        return undefined;
      }
      const { instance } = constraints[0];
      field.rules.push({
        validate: (value, args) => instance.validate(value, args) === true,
        each: m.each === true,
        args: {
          targetName: metatype.name,
          property,
          constraints: m.constraints,
          object: {},
          value: undefined,
        },
      });
    }
  }
  return field;
}

/** The class @Type gives the elements of a nested property, found by converting a probe. */
function nestedClass(metatype: Ctor, property: string): Ctor | undefined {
  const probe = plainToInstance(metatype, { [property]: [{}] }) as Record<string, unknown>;
  const element = (probe[property] as unknown[] | undefined)?.[0] as object | undefined;
  const found = element?.constructor as Ctor | undefined;
  return found && found !== Object ? found : undefined;
}

function fieldPasses(field: Field, payload: Record<string, unknown>): boolean {
  const value = payload[field.property];
  for (const condition of field.conditions) {
    if (!condition(payload, value)) {
      return true;
    }
  }
  for (const rule of field.rules) {
    if (!rulePasses(rule, payload, value)) {
      return false;
    }
  }
  return field.nested === undefined || nestedPasses(field.nested, value);
}

function rulePasses(rule: Rule, payload: object, value: unknown): boolean {
  rule.args.object = payload;
  if (!rule.each) {
    rule.args.value = value;
    return rule.validate(value, rule.args);
  }
  if (!Array.isArray(value)) {
    return false;
  }
  rule.args.value = value;
  return value.every((element) => rule.validate(element, rule.args));
}

function nestedPasses(test: DtoTest, value: unknown): boolean {
  const elements: unknown[] = Array.isArray(value) ? value : [value];
  return elements.every((element) => isJsonObject(element) && test(element));
}
