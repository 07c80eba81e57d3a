// Shared shapes of the structured PII detectors: entity types (Presidio names) and detected character spans.

/** Structured PII types this package detects, named as Presidio and vLLM Semantic Router name them. */
export const PII_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'IP_ADDRESS',
] as const;

export type PiiType = (typeof PII_TYPES)[number];

/** One detected entity: `text.slice(start, end)` is the value; never log it. */
export interface PiiSpan {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
  /** In [0, 1]: how sure the detector is (format, checksum and nearby context words). */
  readonly confidence: number;
}

/** A detector scans one text and returns candidate spans (possibly overlapping other detectors' spans). */
export type PiiDetector = (text: string) => PiiSpan[];
