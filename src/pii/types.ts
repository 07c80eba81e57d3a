// Shared shapes of the PII detectors: entity types (Presidio names) and detected character spans.

/** Structured PII types found by validators (`detectPii`), named as Presidio and vLLM Semantic Router name them. */
export const PII_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'IP_ADDRESS',
] as const;

/**
 * Presidio types found by validators only for rules that list them in `pii_types`: a URL is not personal data by
 * itself, and the ID numbers need their document's name right before them.
 */
export const OPT_IN_PII_TYPES = [
  'URL',
  'US_ITIN',
  'US_PASSPORT',
  'US_DRIVER_LICENSE',
  'US_BANK_NUMBER',
] as const;

/** PII types found by a learned entity model (built-in token tagger or a Hugging Face export). */
export const LEARNED_PII_TYPES = ['PERSON', 'STREET_ADDRESS'] as const;

/**
 * Presidio / vLLM Semantic Router entity names a policy may list that this router does not detect: a rule naming
 * them loads (with one warning per rule at policy load), and they never match. Dates, organisations, places and
 * titles are not personal data on their own; the others have no validator here yet.
 */
export const UNDETECTED_PII_TYPES = [
  'AGE',
  'CRYPTO',
  'DATE_TIME',
  'DOMAIN_NAME',
  'GPE',
  'LOCATION',
  'MEDICAL_LICENSE',
  'NRP',
  'ORGANIZATION',
  'TITLE',
  'UK_NHS',
  'ZIP_CODE',
] as const;

/** Every PII type a `pii` rule can report. */
export const SUPPORTED_PII_TYPES = [...PII_TYPES, ...OPT_IN_PII_TYPES, ...LEARNED_PII_TYPES] as const;

export type StructuredPiiType = (typeof PII_TYPES)[number] | (typeof OPT_IN_PII_TYPES)[number];
export type LearnedPiiType = (typeof LEARNED_PII_TYPES)[number];
export type PiiType = StructuredPiiType | LearnedPiiType;

/** One detected entity: `text.slice(start, end)` is the value; never log it. */
export interface PiiSpan {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
  /** In [0, 1]: how sure the detector is (format, checksum and nearby context words). */
  readonly confidence: number;
}

/**
 * How much text a detector reads to decide one span: whether the span is reported, where it ends and how confident
 * it is depend only on `text[start - before, start + ahead)`, so `ahead` also bounds the span's length.
 */
export interface DetectorReach {
  readonly before: number;
  readonly ahead: number;
}

/** A detector scans one text and returns candidate spans (possibly overlapping other detectors' spans). */
export type PiiDetector = (text: string) => PiiSpan[];
