// google.protobuf.Struct (as proto-loader delivers it) to plain JSON, for the filter metadata Envoy forwards.
// protobufjs defines the well-known types itself, with camelCase field names whatever `keepCase` says
// (`stringValue`, `structValue`, …); the snake_case spelling is accepted too.
import type { Metadata, ProtoStruct, ProtoValue } from './ext-proc-messages.ts';

/** Nesting kept from metadata structs; deeper values become null (claims are shallow, depth is not trusted). */
const MAX_DEPTH = 32;

type ValueKind = 'null' | 'number' | 'string' | 'bool' | 'struct' | 'list';

function kindOf(value: ProtoValue): ValueKind | undefined {
  const kind = value.kind;
  if (kind !== undefined) return kind.replace(/_?[vV]alue$/, '') as ValueKind;
  if (value.stringValue !== undefined || value.string_value !== undefined) return 'string';
  if (value.numberValue !== undefined || value.number_value !== undefined) return 'number';
  if (value.boolValue !== undefined || value.bool_value !== undefined) return 'bool';
  if (value.structValue !== undefined || value.struct_value !== undefined) return 'struct';
  if (value.listValue !== undefined || value.list_value !== undefined) return 'list';
  return undefined;
}

function valueToJson(value: ProtoValue | undefined, depth: number): unknown {
  if (value === undefined || depth > MAX_DEPTH) return null;
  switch (kindOf(value)) {
    case 'number':
      return value.numberValue ?? value.number_value ?? 0;
    case 'string':
      return value.stringValue ?? value.string_value ?? '';
    case 'bool':
      return value.boolValue ?? value.bool_value ?? false;
    case 'struct':
      return structToJson(value.structValue ?? value.struct_value, depth + 1);
    case 'list':
      return ((value.listValue ?? value.list_value)?.values ?? []).map((item) =>
        valueToJson(item, depth + 1),
      );
    default:
      return null;
  }
}

export function structToJson(struct: ProtoStruct | undefined, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth > MAX_DEPTH) return out;
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = valueToJson(value, depth);
  return out;
}

/** Filter metadata by namespace as plain JSON; empty when Envoy forwarded none. */
export function readFilterMetadata(metadata: Metadata | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [namespace, struct] of Object.entries(metadata?.filter_metadata ?? {}))
    out.set(namespace, structToJson(struct));
  return out;
}
