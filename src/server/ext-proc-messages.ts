// TypeScript shapes of the ext_proc messages as @grpc/proto-loader delivers them (keepCase, enums as strings,
// oneofs named). Only src/server/ may import this module.

export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Uint8Array | undefined;
  /** `raw_value` already read as text (the router's own decoder, for ASCII header lists); never on the wire. */
  raw_text?: string | undefined;
}

export interface HeaderMap {
  headers?: HeaderValue[];
}

export interface HttpHeaders {
  headers?: HeaderMap;
  end_of_stream?: boolean;
}

export interface HttpBody {
  body?: Uint8Array;
  end_of_stream?: boolean;
}

export interface HttpTrailers {
  trailers?: HeaderMap;
}

export type ProcessingRequestCase =
  | 'request_headers'
  | 'response_headers'
  | 'request_body'
  | 'response_body'
  | 'request_trailers'
  | 'response_trailers';

/**
 * google.protobuf.Value as proto-loader delivers it (oneofs: `kind` names the set field). protobufjs's built-in
 * definition of the well-known types is camelCase even with keepCase; both spellings are declared.
 */
export interface ProtoValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values?: ProtoValue[] };
  null_value?: unknown;
  number_value?: number;
  string_value?: string;
  bool_value?: boolean;
  struct_value?: ProtoStruct;
  list_value?: { values?: ProtoValue[] };
}

export interface ProtoStruct {
  fields?: Record<string, ProtoValue>;
}

/** envoy.config.core.v3.Metadata: dynamic metadata by filter namespace. */
export interface Metadata {
  filter_metadata?: Record<string, ProtoStruct>;
}

export interface ProcessingRequest {
  request?: ProcessingRequestCase;
  metadata_context?: Metadata;
  /** Set by the router's deserializer when it decoded only part of a header list over the limit. */
  headers_truncated?: boolean;
  request_headers?: HttpHeaders;
  response_headers?: HttpHeaders;
  request_body?: HttpBody;
  response_body?: HttpBody;
  request_trailers?: HttpTrailers;
  response_trailers?: HttpTrailers;
  observability_mode?: boolean;
  /** How Envoy sends bodies on this stream (first message only; the router does not read it). */
  protocol_config?: {
    request_body_mode?: string;
    response_body_mode?: string;
    send_body_without_waiting_for_header_response?: boolean;
  };
}

export type HeaderAppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

export interface HeaderValueOption {
  header: HeaderValue;
  append_action?: HeaderAppendAction;
}

export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}

export interface BodyMutation {
  body?: Uint8Array;
  clear_body?: boolean;
}

export interface CommonResponse {
  status?: 'CONTINUE' | 'CONTINUE_AND_REPLACE';
  header_mutation?: HeaderMutation;
  body_mutation?: BodyMutation;
  clear_route_cache?: boolean;
}

export interface ImmediateResponse {
  status: { code: number };
  headers?: HeaderMutation;
  body?: Uint8Array;
  details?: string;
}

export type BodySendMode = 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL' | 'FULL_DUPLEX_STREAMED';

export interface ProcessingMode {
  request_body_mode?: BodySendMode;
  response_body_mode?: BodySendMode;
}

export interface ProcessingResponse {
  dynamic_metadata?: ProtoStruct;
  request_headers?: { response?: CommonResponse };
  response_headers?: { response?: CommonResponse };
  request_body?: { response?: CommonResponse };
  response_body?: { response?: CommonResponse };
  request_trailers?: { header_mutation?: HeaderMutation };
  response_trailers?: { header_mutation?: HeaderMutation };
  immediate_response?: ImmediateResponse;
  mode_override?: ProcessingMode;
}
