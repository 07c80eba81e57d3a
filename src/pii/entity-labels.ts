// Maps entity labels of PII models (built-in tagger, Hugging Face NER exports) to the router's PII types.
import type { LearnedPiiType } from './types.ts';

/**
 * Model label (upper case, without a BIO prefix) → PII type. Common NER schemes name people PER / PERSON and
 * places LOC; a generic location is reported as STREET_ADDRESS, the closest type a policy can name.
 */
const LABEL_TO_TYPE: Readonly<Record<string, LearnedPiiType>> = {
  PERSON: 'PERSON',
  PER: 'PERSON',
  NAME: 'PERSON',
  NAME_STUDENT: 'PERSON',
  FIRSTNAME: 'PERSON',
  LASTNAME: 'PERSON',
  STREET_ADDRESS: 'STREET_ADDRESS',
  ADDRESS: 'STREET_ADDRESS',
  STREET: 'STREET_ADDRESS',
  STREET_ADDRESS_LINE: 'STREET_ADDRESS',
  LOC: 'STREET_ADDRESS',
  LOCATION: 'STREET_ADDRESS',
};

/** The PII type of a model label (`B-PER`, `I-PER`, `per` → PERSON), or undefined for labels the router ignores. */
export function piiTypeOfLabel(label: string): LearnedPiiType | undefined {
  const bare = label.toUpperCase().replace(/^[BIESLU]-/, '');
  return LABEL_TO_TYPE[bare];
}
