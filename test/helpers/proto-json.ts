// A strict proto3 JSON (or YAML parsed to plain values) -> protobuf message converter, for tests that prove a
// config file is valid for a given protobuf schema (e.g. Envoy's Bootstrap), the way Envoy itself reads it:
//   * unknown fields are errors, named with their full path (`static_resources.clusters[1].foo`);
//   * field names are accepted in their proto spelling (snake_case) or their lowerCamelCase json_name;
//   * google.protobuf.Any: `@type` is resolved to a message type (loading its .proto on demand) and the rest
//     of the object is converted as that type; well-known types (Duration "5s", wrappers as plain scalars,
//     Struct/Value/ListValue, Timestamp, FieldMask) use their proto3 JSON forms;
//   * enums by name (or defined number), unknown names rejected; two members of one oneof rejected;
//   * by default, a subset of the protoc-gen-validate rules (`(validate.rules)`, `(validate.required)`) that
//     Envoy enforces when it loads a config; optionally, rejection of deprecated fields and enum values.
// The converted object is checked with protobufjs `Type.verify`, encoded and decoded again.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/** A conversion error at `path` (dotted fields, `[i]` for list items, `["key"]` for map entries). */
export class ProtoJsonError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path === '' ? '<root>' : path}: ${reason}`);
    this.name = 'ProtoJsonError';
  }
}

/** Resolves a `google.protobuf.Any` type URL to a message type; throws when it cannot. */
export type TypeUrlResolver = (typeUrl: string) => protobuf.Type;

export interface ProtoJsonOptions {
  /** Defaults to looking the name after the last `/` up in the root of the converted type. */
  resolveTypeUrl?: TypeUrlResolver;
  /** Check the protoc-gen-validate subset (required, string/number/duration bounds, items, …). Default true. */
  validateRules?: boolean;
  /** Reject fields and enum values marked `deprecated = true`. Default false. */
  rejectDeprecated?: boolean;
}

export interface ProtoJsonResult {
  /** The message after `verify`, `encode` and `decode`. */
  message: protobuf.Message;
  /** Its wire encoding. */
  bytes: Uint8Array;
  /** Every `@type` URL met (in `Any` values at any depth), in order of first appearance. */
  typeUrls: string[];
}

type PlainObject = Record<string, unknown>;

interface Context {
  resolveTypeUrl: TypeUrlResolver;
  validateRules: boolean;
  rejectDeprecated: boolean;
  typeUrls: Set<string>;
}

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (kind) => `.google.protobuf.${kind}Value`,
  ),
);
/** Well-known types whose JSON form is not an object of fields (inside Any they use `{"@type", "value"}`). */
const SPECIAL_JSON_TYPES = new Set([
  ...WRAPPERS,
  '.google.protobuf.Any',
  '.google.protobuf.Duration',
  '.google.protobuf.Timestamp',
  '.google.protobuf.FieldMask',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
  '.google.protobuf.ListValue',
]);
const INT32_TYPES = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32_TYPES = new Set(['uint32', 'fixed32']);
const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64']);
const UINT64_TYPES = new Set(['uint64', 'fixed64']);
const FLOAT_TYPES = new Set(['double', 'float']);
const NUMERIC_RULE_KINDS = new Set([
  ...INT32_TYPES,
  ...UINT32_TYPES,
  ...INT64_TYPES,
  ...UINT64_TYPES,
  ...FLOAT_TYPES,
]);
const MAX_DURATION_SECONDS = 315_576_000_000;

function isPlainObject(value: unknown): value is PlainObject {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** protoc's json_name: drop underscores and upper-case the letter after each one. */
export function lowerCamelCase(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])/g, (_match, letter: string) => letter.toUpperCase()).replace(/_/g, '');
}

const fieldIndexCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldIndex(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndexCache.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set(lowerCamelCase(field.name), field);
      const jsonName: unknown = field.options?.json_name;
      if (typeof jsonName === 'string') index.set(jsonName, field);
    }
    fieldIndexCache.set(type, index);
  }
  return index;
}

function fieldById(type: protobuf.Type, id: number): protobuf.Field {
  const field = type.fieldsById[id];
  if (!field) throw new Error(`${type.fullName} has no field number ${id}`);
  return field;
}

function resolved(field: protobuf.Field): protobuf.Type | protobuf.Enum | null {
  field.resolve();
  return field.resolvedType;
}

// ---------------------------------------------------------------------------------------------------------
// Scalars

function parseInteger(value: unknown, where: string, signed: boolean, bits: 32 | 64): number {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new ProtoJsonError(where, `expected an integer, got ${describe(value)}`);
    big = BigInt(value);
  } else if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    big = BigInt(value);
  } else {
    throw new ProtoJsonError(where, `expected an integer, got ${describe(value)}`);
  }
  const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
  const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
  if (big < min || big > max) {
    throw new ProtoJsonError(where, `${value} is out of range for ${signed ? '' : 'u'}int${bits}`);
  }
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ProtoJsonError(where, `${value} is beyond 2^53, which this test converter does not support`);
  }
  return Number(big);
}

function parseFloatValue(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  throw new ProtoJsonError(where, `expected a number, got ${describe(value)}`);
}

function convertScalar(type: string, value: unknown, where: string): unknown {
  if (INT32_TYPES.has(type)) return parseInteger(value, where, true, 32);
  if (UINT32_TYPES.has(type)) return parseInteger(value, where, false, 32);
  if (INT64_TYPES.has(type)) return parseInteger(value, where, true, 64);
  if (UINT64_TYPES.has(type)) return parseInteger(value, where, false, 64);
  if (FLOAT_TYPES.has(type)) return parseFloatValue(value, where);
  switch (type) {
    case 'bool':
      if (typeof value !== 'boolean')
        throw new ProtoJsonError(where, `expected true or false, got ${describe(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string')
        throw new ProtoJsonError(where, `expected a string, got ${describe(value)}`);
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
        throw new ProtoJsonError(where, `expected base64 bytes, got ${describe(value)}`);
      }
      return new Uint8Array(
        Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64'),
      );
    default:
      throw new ProtoJsonError(where, `unsupported scalar type ${type}`);
  }
}

function convertEnum(enumType: protobuf.Enum, value: unknown, where: string, ctx: Context): number {
  if (enumType.fullName === '.google.protobuf.NullValue' && value === null) return 0;
  let name: string | undefined;
  if (typeof value === 'string') {
    if (!Object.hasOwn(enumType.values, value)) {
      throw new ProtoJsonError(
        where,
        `unknown ${enumType.fullName.slice(1)} value "${value}" (expected one of ${Object.keys(enumType.values).join(', ')})`,
      );
    }
    name = value;
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    name = enumType.valuesById[value];
    if (name === undefined) {
      throw new ProtoJsonError(where, `${value} is not a defined ${enumType.fullName.slice(1)} value`);
    }
  } else {
    throw new ProtoJsonError(where, `expected an enum name, got ${describe(value)}`);
  }
  const number = enumType.values[name];
  if (number === undefined) throw new ProtoJsonError(where, `unknown enum value ${name}`);
  if (ctx.rejectDeprecated && enumType.valuesOptions?.[name]?.deprecated === true) {
    throw new ProtoJsonError(where, `enum value ${name} is deprecated`);
  }
  return number;
}

// ---------------------------------------------------------------------------------------------------------
// Well-known types

function parseDuration(value: unknown, where: string): { seconds: number; nanos: number } {
  const match = typeof value === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!match) {
    throw new ProtoJsonError(
      where,
      `expected a duration string such as "5s" or "0.25s", got ${describe(value)}`,
    );
  }
  const sign = match[1] === '-' ? -1 : 1;
  const seconds = Number(match[2]);
  if (seconds > MAX_DURATION_SECONDS)
    throw new ProtoJsonError(where, `duration ${String(value)} is out of range`);
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: sign * seconds || 0, nanos: sign * nanos || 0 };
}

function parseTimestamp(value: unknown, where: string): { seconds: number; nanos: number } {
  const match =
    typeof value === 'string'
      ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value)
      : null;
  const millis = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN;
  if (!match || Number.isNaN(millis)) {
    throw new ProtoJsonError(where, `expected an RFC 3339 timestamp, got ${describe(value)}`);
  }
  return { seconds: Math.floor(millis / 1000), nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

function convertValue(type: protobuf.Type, value: unknown, where: string): PlainObject {
  const oneofField = (id: number) => fieldById(type, id).name;
  if (value === null) return { [oneofField(1)]: 0 };
  if (typeof value === 'number') return { [oneofField(2)]: value };
  if (typeof value === 'string') return { [oneofField(3)]: value };
  if (typeof value === 'boolean') return { [oneofField(4)]: value };
  const structField = fieldById(type, 5);
  const listField = fieldById(type, 6);
  const structType = resolved(structField);
  const listType = resolved(listField);
  if (!(structType instanceof protobuf.Type) || !(listType instanceof protobuf.Type)) {
    throw new Error('google.protobuf.Value is not resolved');
  }
  if (Array.isArray(value)) return { [listField.name]: convertListValue(listType, value, where) };
  if (isPlainObject(value)) return { [structField.name]: convertStruct(structType, value, where) };
  throw new ProtoJsonError(where, `not representable as google.protobuf.Value: ${describe(value)}`);
}

function valueTypeOf(container: protobuf.Type, id: number): { name: string; type: protobuf.Type } {
  const field = fieldById(container, id);
  const type = resolved(field);
  if (!(type instanceof protobuf.Type)) throw new Error(`${container.fullName} is not resolved`);
  return { name: field.name, type };
}

function convertStruct(type: protobuf.Type, value: unknown, where: string): PlainObject {
  if (!isPlainObject(value)) throw new ProtoJsonError(where, `expected an object, got ${describe(value)}`);
  const { name, type: valueType } = valueTypeOf(type, 1);
  const fields: PlainObject = {};
  for (const [key, item] of Object.entries(value)) {
    fields[key] = convertValue(valueType, item, childPath(where, key));
  }
  return { [name]: fields };
}

function convertListValue(type: protobuf.Type, value: unknown, where: string): PlainObject {
  if (!Array.isArray(value)) throw new ProtoJsonError(where, `expected a list, got ${describe(value)}`);
  const { name, type: valueType } = valueTypeOf(type, 1);
  return { [name]: value.map((item, i) => convertValue(valueType, item, `${where}[${i}]`)) };
}

function convertWellKnown(type: protobuf.Type, value: unknown, where: string, ctx: Context): PlainObject {
  const name = type.fullName;
  if (WRAPPERS.has(name)) {
    const field = fieldById(type, 1);
    return { [field.name]: convertScalar(field.type, value, where) };
  }
  switch (name) {
    case '.google.protobuf.Duration':
    case '.google.protobuf.Timestamp': {
      const { seconds, nanos } =
        name === '.google.protobuf.Duration' ? parseDuration(value, where) : parseTimestamp(value, where);
      return { [fieldById(type, 1).name]: seconds, [fieldById(type, 2).name]: nanos };
    }
    case '.google.protobuf.FieldMask': {
      if (typeof value !== 'string')
        throw new ProtoJsonError(where, `expected a field mask string, got ${describe(value)}`);
      const paths =
        value === '' ? [] : value.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
      return { [fieldById(type, 1).name]: paths };
    }
    case '.google.protobuf.Struct':
      return convertStruct(type, value, where);
    case '.google.protobuf.Value':
      return convertValue(type, value, where);
    case '.google.protobuf.ListValue':
      return convertListValue(type, value, where);
    case '.google.protobuf.Any':
      return convertAny(type, value, where, ctx);
    default:
      throw new Error(`no JSON mapping for ${name}`);
  }
}

function convertAny(anyType: protobuf.Type, value: unknown, where: string, ctx: Context): PlainObject {
  if (!isPlainObject(value))
    throw new ProtoJsonError(where, `expected an object with "@type", got ${describe(value)}`);
  const typeUrl = value['@type'];
  const typeWhere = `${where}["@type"]`;
  if (typeof typeUrl !== 'string' || typeUrl === '') {
    throw new ProtoJsonError(typeWhere, 'google.protobuf.Any needs a "@type" type URL');
  }
  let inner: protobuf.Type;
  try {
    inner = ctx.resolveTypeUrl(typeUrl);
  } catch (error) {
    throw new ProtoJsonError(
      typeWhere,
      `cannot resolve type URL "${typeUrl}": ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  ctx.typeUrls.add(typeUrl);
  const { '@type': _typeUrl, ...rest } = value;
  let innerObject: PlainObject;
  if (SPECIAL_JSON_TYPES.has(inner.fullName)) {
    const extra = Object.keys(rest).filter((key) => key !== 'value');
    if (extra.length > 0)
      throw new ProtoJsonError(childPath(where, extra[0] ?? ''), `unknown field in ${typeUrl}`);
    if (!('value' in rest)) throw new ProtoJsonError(where, `${typeUrl} in an Any needs "value"`);
    innerObject = convertWellKnown(inner, rest.value, childPath(where, 'value'), ctx);
  } else {
    innerObject = convertMessage(inner, rest, where, ctx);
  }
  const problem = inner.verify(innerObject);
  if (problem) throw new ProtoJsonError(where, `protobufjs verify of ${typeUrl}: ${problem}`);
  const bytes = inner.encode(inner.fromObject(innerObject)).finish();
  return { [fieldById(anyType, 1).name]: typeUrl, [fieldById(anyType, 2).name]: bytes };
}

// ---------------------------------------------------------------------------------------------------------
// Messages

function convertSingle(field: protobuf.Field, value: unknown, where: string, ctx: Context): unknown {
  const type = resolved(field);
  if (type instanceof protobuf.Type) return convertMessageValue(type, value, where, ctx);
  if (type instanceof protobuf.Enum) return convertEnum(type, value, where, ctx);
  return convertScalar(field.type, value, where);
}

function convertMessageValue(type: protobuf.Type, value: unknown, where: string, ctx: Context): PlainObject {
  if (SPECIAL_JSON_TYPES.has(type.fullName)) return convertWellKnown(type, value, where, ctx);
  return convertMessage(type, value, where, ctx);
}

function convertMapKey(keyType: string, key: string, where: string): string {
  if (keyType === 'string') return key;
  if (keyType === 'bool') {
    if (key !== 'true' && key !== 'false')
      throw new ProtoJsonError(where, `expected a bool map key, got "${key}"`);
    return key;
  }
  return String(convertScalar(keyType, key, where));
}

function isValueField(field: protobuf.Field): boolean {
  const type = resolved(field);
  return type?.fullName === '.google.protobuf.Value' || type?.fullName === '.google.protobuf.NullValue';
}

function convertMessage(type: protobuf.Type, value: unknown, where: string, ctx: Context): PlainObject {
  if (!isPlainObject(value)) {
    throw new ProtoJsonError(where, `expected an object (${type.fullName.slice(1)}), got ${describe(value)}`);
  }
  const index = fieldIndex(type);
  const out: PlainObject = {};
  const spelledAs = new Map<string, string>();
  const oneofMembers = new Map<string, string>();
  for (const [key, raw] of Object.entries(value)) {
    const here = childPath(where, key);
    const field = index.get(key);
    if (!field) throw new ProtoJsonError(here, `unknown field "${key}" in ${type.fullName.slice(1)}`);
    const previous = spelledAs.get(field.name);
    if (previous !== undefined) {
      throw new ProtoJsonError(here, `field ${field.name} is given twice (as "${previous}" and "${key}")`);
    }
    spelledAs.set(field.name, key);
    if (raw === null && !(isValueField(field) && !field.repeated && !field.map)) continue; // null = not set
    if (ctx.rejectDeprecated && field.options?.deprecated === true) {
      throw new ProtoJsonError(here, `field ${field.name} of ${type.fullName.slice(1)} is deprecated`);
    }
    const oneof = field.partOf;
    if (oneof) {
      const other = oneofMembers.get(oneof.name);
      if (other !== undefined) {
        throw new ProtoJsonError(here, `oneof ${oneof.name}: "${other}" and "${key}" are both set`);
      }
      oneofMembers.set(oneof.name, key);
    }
    out[field.name] = convertField(field, raw, here, ctx);
  }
  if (ctx.validateRules) checkMessageRules(type, out, where);
  return out;
}

function convertField(field: protobuf.Field, raw: unknown, where: string, ctx: Context): unknown {
  const rules = fieldRules(field);
  if (field instanceof protobuf.MapField) {
    if (!isPlainObject(raw))
      throw new ProtoJsonError(where, `expected an object (map), got ${describe(raw)}`);
    const map: PlainObject = {};
    for (const [key, item] of Object.entries(raw)) {
      const here = `${where}[${JSON.stringify(key)}]`;
      if (item === null && !isValueField(field)) throw new ProtoJsonError(here, 'map values cannot be null');
      const converted = convertSingle(field, item, here, ctx);
      map[convertMapKey(field.keyType, key, here)] = converted;
      if (ctx.validateRules && rules) {
        const mapRules = asObject(rules.map);
        checkValueRules(asObject(mapRules?.keys), undefined, key, here);
        checkValueRules(asObject(mapRules?.values), field, converted, here);
      }
    }
    if (ctx.validateRules && rules) checkContainerRules(rules, field, map, where);
    return map;
  }
  if (field.repeated) {
    if (!Array.isArray(raw)) throw new ProtoJsonError(where, `expected a list, got ${describe(raw)}`);
    const list = raw.map((item, i) => {
      const here = `${where}[${i}]`;
      if (item === null && !isValueField(field)) throw new ProtoJsonError(here, 'list items cannot be null');
      const converted = convertSingle(field, item, here, ctx);
      if (ctx.validateRules && rules)
        checkValueRules(asObject(asObject(rules.repeated)?.items), field, converted, here);
      return converted;
    });
    if (ctx.validateRules && rules) checkContainerRules(rules, field, list, where);
    return list;
  }
  const converted = convertSingle(field, raw, where, ctx);
  if (ctx.validateRules && rules) checkValueRules(rules, field, converted, where);
  return converted;
}

// ---------------------------------------------------------------------------------------------------------
// protoc-gen-validate subset

function asObject(value: unknown): PlainObject | undefined {
  return isPlainObject(value) ? value : undefined;
}

function fieldRules(field: protobuf.Field): PlainObject | undefined {
  let rules: PlainObject | undefined;
  for (const option of field.parsedOptions ?? []) {
    const entry = asObject(asObject(option)?.['(validate.rules)']);
    if (entry) rules = { ...rules, ...entry };
  }
  return rules;
}

function durationNanos(value: unknown): number {
  const object = asObject(value);
  const seconds = Number(object?.seconds ?? 0);
  const nanos = Number(object?.nanos ?? 0);
  return seconds * 1e9 + nanos;
}

function checkBounds(
  rules: PlainObject,
  actual: number,
  toNumber: (bound: unknown) => number,
  show: string,
  where: string,
  format: (bound: number) => string = String,
): void {
  const bound = (key: string) => (rules[key] === undefined ? undefined : toNumber(rules[key]));
  const [lt, lte, gt, gte, exact] = [bound('lt'), bound('lte'), bound('gt'), bound('gte'), bound('const')];
  const fail = (why: string) => {
    throw new ProtoJsonError(where, `${show} violates validation rule: ${why}`);
  };
  if (exact !== undefined && actual !== exact) fail(`must equal ${format(exact)}`);
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const belowUpper = upper === undefined || (lt !== undefined ? actual < lt : actual <= upper);
  const aboveLower = lower === undefined || (gt !== undefined ? actual > gt : actual >= lower);
  if (upper !== undefined && lower !== undefined && upper < lower) {
    // protoc-gen-validate: an inverted pair means "outside the range".
    if (!belowUpper && !aboveLower) fail(`must be outside (${format(upper)}, ${format(lower)})`);
    return;
  }
  if (upper !== undefined && !belowUpper) fail(`must be ${lt === undefined ? '<=' : '<'} ${format(upper)}`);
  if (lower !== undefined && !aboveLower) fail(`must be ${gt === undefined ? '>=' : '>'} ${format(lower)}`);
  const inList = Array.isArray(rules.in) ? rules.in.map(toNumber) : undefined;
  if (inList && !inList.includes(actual)) fail(`must be one of ${inList.map(format).join(', ')}`);
  const notIn = Array.isArray(rules.not_in) ? rules.not_in.map(toNumber) : undefined;
  if (notIn?.includes(actual)) fail(`must not be one of ${notIn.map(format).join(', ')}`);
}

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;

/** protoc-gen-validate's loose header check (NUL, CR, LF) or its strict value check (all controls but TAB). */
function hasForbiddenHeaderChar(value: string, strict: boolean): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code === 0 || code === 10 || code === 13) return true;
    if (strict && ((code < 32 && code !== 9) || code === 127)) return true;
  }
  return false;
}

function checkStringRules(rules: PlainObject, value: string, where: string): void {
  const show = JSON.stringify(value);
  const fail = (why: string) => {
    throw new ProtoJsonError(where, `${show} violates validation rule: ${why}`);
  };
  if (rules.ignore_empty === true && value === '') return;
  const chars = [...value].length;
  const bytes = Buffer.byteLength(value);
  const num = (key: string) => (rules[key] === undefined ? undefined : Number(rules[key]));
  const minLen = num('min_len');
  const maxLen = num('max_len');
  const len = num('len');
  const minBytes = num('min_bytes');
  const maxBytes = num('max_bytes');
  if (minLen !== undefined && chars < minLen) fail(`at least ${minLen} characters`);
  if (maxLen !== undefined && chars > maxLen) fail(`at most ${maxLen} characters`);
  if (len !== undefined && chars !== len) fail(`exactly ${len} characters`);
  if (minBytes !== undefined && bytes < minBytes) fail(`at least ${minBytes} bytes`);
  if (maxBytes !== undefined && bytes > maxBytes) fail(`at most ${maxBytes} bytes`);
  if (typeof rules.const === 'string' && value !== rules.const)
    fail(`must equal ${JSON.stringify(rules.const)}`);
  if (typeof rules.prefix === 'string' && !value.startsWith(rules.prefix))
    fail(`must start with ${rules.prefix}`);
  if (typeof rules.suffix === 'string' && !value.endsWith(rules.suffix))
    fail(`must end with ${rules.suffix}`);
  if (typeof rules.contains === 'string' && !value.includes(rules.contains))
    fail(`must contain ${rules.contains}`);
  if (Array.isArray(rules.in) && !rules.in.includes(value)) fail(`must be one of ${rules.in.join(', ')}`);
  if (Array.isArray(rules.not_in) && rules.not_in.includes(value)) fail(`must not be ${value}`);
  const strict = rules.strict !== false;
  if (rules.well_known_regex === 'HTTP_HEADER_NAME') {
    // Non-strict is protoc-gen-validate's loose ^[^\0\n\r]*$, which an empty (unset) name passes.
    const valid = strict ? HEADER_NAME_STRICT.test(value) : !hasForbiddenHeaderChar(value, false);
    if (!valid) fail('must be a valid HTTP header name');
  }
  if (rules.well_known_regex === 'HTTP_HEADER_VALUE' && hasForbiddenHeaderChar(value, strict)) {
    fail('must be a valid HTTP header value');
  }
  if (typeof rules.pattern === 'string') {
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(rules.pattern, 'u');
    } catch {
      pattern = undefined; // RE2 syntax that JavaScript cannot compile: not checked here.
    }
    if (pattern && !pattern.test(value)) fail(`must match /${rules.pattern}/`);
  }
}

/** Rules for one value (a singular field, a list item or a map value). `converted` is the plain form. */
function checkValueRules(
  rules: PlainObject | undefined,
  field: protobuf.Field | undefined,
  converted: unknown,
  where: string,
): void {
  if (!rules) return;
  const type = field ? resolved(field) : null;
  const scalar =
    type instanceof protobuf.Type && WRAPPERS.has(type.fullName)
      ? asObject(converted)?.[fieldById(type, 1).name]
      : converted;
  for (const [kind, raw] of Object.entries(rules)) {
    const kindRules = asObject(raw);
    if (!kindRules) continue;
    if (kind === 'string' && typeof scalar === 'string') checkStringRules(kindRules, scalar, where);
    else if (kind === 'bytes' && scalar instanceof Uint8Array) {
      checkBounds(
        { gte: kindRules.min_len, lte: kindRules.max_len, const: kindRules.len },
        scalar.length,
        Number,
        `${scalar.length} bytes`,
        where,
      );
    } else if (NUMERIC_RULE_KINDS.has(kind) && typeof scalar === 'number') {
      if (kindRules.ignore_empty === true && scalar === 0) continue;
      checkBounds(kindRules, scalar, Number, String(scalar), where);
    } else if (kind === 'enum' && typeof scalar === 'number') {
      checkBounds(
        { const: kindRules.const, in: kindRules.in, not_in: kindRules.not_in },
        scalar,
        Number,
        String(scalar),
        where,
      );
    } else if (kind === 'bool' && typeof scalar === 'boolean') {
      if (typeof kindRules.const === 'boolean' && scalar !== kindRules.const) {
        throw new ProtoJsonError(where, `${scalar} violates validation rule: must be ${kindRules.const}`);
      }
    } else if (kind === 'duration' && isPlainObject(converted)) {
      const nanos = durationNanos(converted);
      checkBounds(kindRules, nanos, durationNanos, `duration ${nanos / 1e9}s`, where, (n) => `${n / 1e9}s`);
    } else if (kind === 'any' && isPlainObject(converted)) {
      const typeUrl = Object.values(converted).find((v) => typeof v === 'string');
      if (Array.isArray(kindRules.in) && !kindRules.in.includes(typeUrl)) {
        throw new ProtoJsonError(
          where,
          `Any of type ${String(typeUrl)} violates validation rule: must be one of ${kindRules.in.join(', ')}`,
        );
      }
    }
  }
}

function checkContainerRules(rules: PlainObject, field: protobuf.Field, value: unknown, where: string): void {
  const repeated = asObject(rules.repeated);
  if (repeated && Array.isArray(value)) {
    if (repeated.ignore_empty === true && value.length === 0) return;
    checkBounds(
      { gte: repeated.min_items, lte: repeated.max_items },
      value.length,
      Number,
      `${value.length} items`,
      where,
    );
    if (repeated.unique === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      throw new ProtoJsonError(where, `items of ${field.name} must be unique`);
    }
  }
  const map = asObject(rules.map);
  if (map && isPlainObject(value)) {
    const size = Object.keys(value).length;
    if (map.ignore_empty === true && size === 0) return;
    checkBounds({ gte: map.min_pairs, lte: map.max_pairs }, size, Number, `${size} entries`, where);
  }
}

function defaultValue(field: protobuf.Field): unknown {
  if (field instanceof protobuf.MapField) return {};
  if (field.repeated) return [];
  const type = resolved(field);
  if (type instanceof protobuf.Enum) return 0;
  if (type instanceof protobuf.Type) return undefined;
  if (field.type === 'string') return '';
  if (field.type === 'bool') return false;
  if (field.type === 'bytes') return new Uint8Array();
  return 0;
}

/** Presence rules and the rules that protoc-gen-validate applies to unset proto3 scalars (their default). */
function checkMessageRules(type: protobuf.Type, out: PlainObject, where: string): void {
  for (const field of type.fieldsArray) {
    const rules = fieldRules(field);
    // Rules of a oneof member (and of a proto3 `optional` field) only apply when it is set.
    if (!rules || field.partOf || Object.hasOwn(out, field.name)) continue;
    const here = childPath(where, field.name);
    const required = ['message', 'duration', 'timestamp', 'any'].some(
      (kind) => asObject(rules[kind])?.required === true,
    );
    if (required) {
      throw new ProtoJsonError(here, `required field ${field.name} of ${type.fullName.slice(1)} is missing`);
    }
    const fallback = defaultValue(field);
    if (fallback === undefined) continue;
    if (field.repeated || field instanceof protobuf.MapField)
      checkContainerRules(rules, field, fallback, here);
    else checkValueRules(rules, field, fallback, here);
  }
  for (const oneof of type.oneofsArray) {
    if (oneof.options?.['(validate.required)'] !== true) continue;
    if (!oneof.oneof.some((name) => Object.hasOwn(out, name))) {
      throw new ProtoJsonError(where, `one of ${oneof.oneof.join(', ')} (oneof ${oneof.name}) is required`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Public API

/** Converts proto3 JSON to the plain object form protobufjs' `fromObject`/`verify` expect. Throws ProtoJsonError. */
export function protoJsonToObject(
  type: protobuf.Type,
  json: unknown,
  options: ProtoJsonOptions = {},
): { object: PlainObject; typeUrls: string[] } {
  const ctx: Context = {
    resolveTypeUrl: options.resolveTypeUrl ?? rootTypeUrlResolver(type.root),
    validateRules: options.validateRules ?? true,
    rejectDeprecated: options.rejectDeprecated ?? false,
    typeUrls: new Set(),
  };
  const object = convertMessageValue(type, json, '', ctx);
  return { object, typeUrls: [...ctx.typeUrls] };
}

/** Converts proto3 JSON to a message of `type`, then verifies, encodes and decodes it. Throws ProtoJsonError. */
export function protoJsonToMessage(
  type: protobuf.Type,
  json: unknown,
  options: ProtoJsonOptions = {},
): ProtoJsonResult {
  const { object, typeUrls } = protoJsonToObject(type, json, options);
  const problem = type.verify(object);
  if (problem) throw new ProtoJsonError('', `protobufjs verify of ${type.fullName.slice(1)}: ${problem}`);
  const bytes = type.encode(type.fromObject(object)).finish();
  const message = type.decode(bytes);
  return { message, bytes, typeUrls };
}

/**
 * A decoded message as a plain object for assertions: enums as names, 64-bit integers as numbers, unset
 * fields omitted, and every `google.protobuf.Any` unpacked to `{ '@type': url, ...fields }`.
 */
export function messageToPlain(
  type: protobuf.Type,
  message: protobuf.Message,
  resolveTypeUrl: TypeUrlResolver = rootTypeUrlResolver(type.root),
): PlainObject {
  const object: PlainObject = type.toObject(message, { enums: String, longs: Number, defaults: false });
  const source = message as unknown as PlainObject;
  const unpack = (fieldType: protobuf.Type, value: unknown): unknown => {
    if (!(value instanceof protobuf.Message)) return value;
    if (fieldType.fullName === '.google.protobuf.Any') {
      const fields = value as unknown as PlainObject;
      const typeUrl = fields[fieldById(fieldType, 1).name];
      const bytes = fields[fieldById(fieldType, 2).name];
      if (typeof typeUrl !== 'string') return {};
      const inner = resolveTypeUrl(typeUrl);
      // An empty value is not on the wire: the decoded message then has the prototype's default (not bytes).
      const payload = bytes instanceof Uint8Array ? bytes : new Uint8Array();
      return { '@type': typeUrl, ...messageToPlain(inner, inner.decode(payload), resolveTypeUrl) };
    }
    return messageToPlain(fieldType, value, resolveTypeUrl);
  };
  for (const field of type.fieldsArray) {
    const fieldType = resolved(field);
    if (!(fieldType instanceof protobuf.Type) || !Object.hasOwn(object, field.name)) continue;
    const value = source[field.name];
    if (field instanceof protobuf.MapField && isPlainObject(value)) {
      object[field.name] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, unpack(fieldType, v)]),
      );
    } else if (Array.isArray(value)) {
      object[field.name] = value.map((item) => unpack(fieldType, item));
    } else {
      object[field.name] = unpack(fieldType, value);
    }
  }
  return object;
}

function lookupMessageType(root: protobuf.Root, fullName: string): protobuf.Type | undefined {
  const found = root.lookup(`.${fullName}`);
  return found instanceof protobuf.Type ? found : undefined;
}

function typeNameOf(typeUrl: string): string {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (!typeUrl.includes('/') || !/^[A-Za-z_][\w.]*$/.test(name))
    throw new Error(`malformed type URL "${typeUrl}"`);
  return name;
}

/** Resolves type URLs among the types already loaded in `root`. */
export function rootTypeUrlResolver(root: protobuf.Root): TypeUrlResolver {
  return (typeUrl) => {
    const fullName = typeNameOf(typeUrl);
    const type = lookupMessageType(root, fullName);
    if (!type) throw new Error(`no message type ${fullName} is loaded`);
    return type;
  };
}

/**
 * The .proto file under `includeDirs` that defines message `fullName`: its package is mapped to a folder
 * (`envoy.extensions.filters.http.ext_proc.v3` -> envoy/extensions/filters/http/ext_proc/v3/) and the .proto
 * files there are scanned for the package declaration and the top-level message.
 */
export function findProtoFileDefining(includeDirs: readonly string[], fullName: string): string | undefined {
  const parts = fullName.split('.');
  for (let split = parts.length - 1; split >= 1; split--) {
    const packageName = parts.slice(0, split).join('.');
    const topLevel = parts[split];
    if (!topLevel) continue;
    const packageLine = new RegExp(`^\\s*package\\s+${packageName.replace(/\./g, '\\.')}\\s*;`, 'm');
    const messageLine = new RegExp(`^message\\s+${topLevel}\\s*\\{`, 'm');
    for (const dir of includeDirs) {
      const folder = path.join(dir, ...parts.slice(0, split));
      if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
      for (const file of readdirSync(folder)
        .filter((name) => name.endsWith('.proto'))
        .sort()) {
        const text = readFileSync(path.join(folder, file), 'utf8');
        if (packageLine.test(text) && messageLine.test(text)) return path.join(folder, file);
      }
    }
  }
  return undefined;
}

/**
 * Resolves type URLs in `root`, first loading (into `root`, with `loadOptions`) the .proto file under
 * `includeDirs` that defines the type when it is not loaded yet. `root.resolvePath` must find its imports.
 */
export function includeDirsTypeUrlResolver(
  root: protobuf.Root,
  includeDirs: readonly string[],
  loadOptions: protobuf.IParseOptions = { keepCase: true },
): TypeUrlResolver {
  return (typeUrl) => {
    const fullName = typeNameOf(typeUrl);
    const loaded = lookupMessageType(root, fullName);
    if (loaded) return loaded;
    const file = findProtoFileDefining(includeDirs, fullName);
    if (!file) throw new Error(`no .proto file under the include folders defines message ${fullName}`);
    root.loadSync(file, loadOptions);
    root.resolveAll();
    const type = lookupMessageType(root, fullName);
    if (!type) throw new Error(`${file} was loaded but does not define message ${fullName}`);
    return type;
  };
}
