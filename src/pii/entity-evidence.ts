// Contextual evidence for the entity model's spans. A name is personal data when the text ties it to a person the
// user deals with (`my name is`, contact details, IDs, an address, a first-person relation); a bare name in a
// narrative, an exam question or a question about a public figure or a fictional character is not. The tagger
// cannot tell these apart (it fires on "Sam bought 3 apples" and on capitalised words in other languages), so its
// score is kept only for names with evidence and scaled down below every usual threshold for the rest.
import type { PiiSpan } from './types.ts';

/** Bare names (and addresses without evidence) keep this share of the model's score: at most 0.4. */
export const BARE_ENTITY_FACTOR = 0.4;

/** How far around a span (characters) a PII word counts as evidence. */
const WINDOW = 60;

/** Words that say personal data is being handled, anywhere within WINDOW characters of the name. */
const PII_WORDS =
  /\b(?:e-?mail(?:ed)?|phone|telephone|mobile|cell ?phone|cell number|address|social security|passport|licen[cs]e|routing|account (?:number|no)|iban|password|passcode|log-?in|username|user ?id|credentials?|date of birth|born on|tax id|pan card|national id|id number|medical record|credit card|debit card|card number|contact details|personal (?:data|details|information|info)|resum[eé]|lives at|resides)\b/i;

/**
 * Words that also fill exam questions about money and health ("Mr. Blake's checking account", "an insurance
 * policy"): evidence only next to an ID-like token (five digits in a row, or letters and four digits, not an amount).
 */
const WEAK_PII_WORDS = /\b(?:account|insurance|patient|policyholder|salary|payroll|member|employee id)\b/i;
const ID_TOKEN = /(?<![$€£\d.,])\b(?:\d[\d -]{3,}\d|[A-Z]+\d{4,}[A-Z\d]*|\d{4,}[A-Z]+)\b(?![.,]\d)/;

/** The same for acronyms, upper case only (`tin` and `dob` are words in other languages). */
const PII_ACRONYMS = /\b(?:SSN|TIN|DOB|MRN|PAN|CV|ITIN|EIN)\b/;

/** Cues right before a name that introduce a person the user deals with. */
const CUE_BEFORE = new RegExp(
  [
    String.raw`\b(?:my|our)\s+(?:\w+\s+){0,2}?(?:name|names)\s*(?:is|are|was|:)?`,
    String.raw`\b(?:my|our|your)\s+(?:\w+\s+)?(?:partner|wife|husband|spouse|son|daughter|child|kid|mother|father|mom|mum|dad|brother|sister|friend|colleague|coworker|co-worker|boss|manager|neighbou?r|client|customer|patient|landlord|tenant|employee|doctor|lawyer|founders?|roommate|girlfriend|boyfriend|fianc[ée]e?|grandmother|grandfather|uncle|aunt|cousin|teacher|student|assistant)(?:'s|’s)?(?:\s+name)?\s*(?:is|was|,|:)?`,
    String.raw`\b(?:i am|i'm|i’m|this is|call me|dear|follow up with|speak (?:to|with)|talk to|meet(?:ing)? with|appointment with|contact|e-?mail|call|text|full name|first name|last name|surname|applicant|tenant|employee|customer|client|patient)\s*[:,\-]?`,
    // Sign-offs and header fields only with their punctuation: `Best, Ana`, `To: Ana` (not `the best Ana`).
    String.raw`\b(?:regards|sincerely|thanks|cheers|best|yours|signed|from|to|cc|attn|attention|name|user|message)\s*[:,]`,
  ]
    .map((p) => `(?:${p})`)
    .join('|')
    .concat('\\s*$'),
  'i',
);

/** Up to two capitalised words at the end of the text before a span: the tagger sometimes tags only the surname. */
const NAME_GAP = /(?:\s*\p{Lu}[\p{L}.'’-]{0,15}){1,2}\s*$/u;

/** A name that opens the text or a line and is spoken to: `Leif, can I speak to your boss?`. */
const VOCATIVE_AFTER = /^(?:\s+\p{Lu}[\p{L}'’-]*)?\s*,[^.!?\n]*\b(?:you|your|yours)\b/u;

/** Words that open a sentence followed by a comma and that the tagger mistakes for names. */
const NOT_VOCATIVE =
  /^(?:however|therefore|thus|also|yes|no|well|ok|okay|so|now|then|please|hello|hi|hey|thanks|sorry|first|second|third|finally|meanwhile|moreover|furthermore|additionally|unfortunately|fortunately|actually|honestly|again|today|tomorrow|yesterday|sure|look|listen|wait|note|remember|imagine|suppose|otherwise|instead|besides|still|anyway|indeed|certainly|clearly|obviously|alright|great|perfect|congratulations|hmm|oh|ah)$/i;

/** Street-type words and other address markers (several languages), inside the span or just before it. */
const ADDRESS_WORDS =
  /\b(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|terrace|parkway|pkwy|highway|hwy|crescent|bypass|suite|apt|apartment|p\.?\s?o\.? box|rue|via|viale|piazza|calle|avenida|rua|strasse|straße|str|gasse|weg|platz|utca|ul|vej|gata|gade|gatan|laan|straat|plein|chemin|allee|allée)\b/i;

/** Cues right before an address. */
const ADDRESS_CUE =
  /\b(?:address|lives? (?:at|on|in)|living at|located at|resides? at|ship(?:ped)? to|deliver(?:ed)? to|send (?:it )?to|mail(?:ed)? to|moved to)\b[^.!?\n]{0,20}$/i;

function hasDigit(value: string): boolean {
  return /\d/.test(value);
}

function window(text: string, span: PiiSpan): string {
  return text.slice(Math.max(0, span.start - WINDOW), Math.min(text.length, span.end + WINDOW));
}

/** Evidence that an address span is a real address: a number and a street word, or an address cue before it. */
function addressEvidence(text: string, span: PiiSpan): boolean {
  const value = text.slice(span.start, span.end);
  const before = text.slice(Math.max(0, span.start - 40), span.start);
  if (ADDRESS_CUE.test(before)) return true;
  return hasDigit(value) && ADDRESS_WORDS.test(value);
}

/** Evidence that a name belongs to a person the text handles personal data of. */
function personEvidence(text: string, span: PiiSpan, otherEvidence: boolean): boolean {
  if (otherEvidence) return true;
  const before = text.slice(Math.max(0, span.start - 40), span.start);
  if (CUE_BEFORE.test(before) || CUE_BEFORE.test(before.replace(NAME_GAP, ' '))) return true;
  const lineStart = span.start === 0 || /\n\s*$/.test(before) || /^\s*$/.test(before);
  const vocative = lineStart && !NOT_VOCATIVE.test(text.slice(span.start, span.end));
  if (vocative && VOCATIVE_AFTER.test(text.slice(span.end, span.end + 120))) return true;
  const around = window(text, span);
  if (PII_WORDS.test(around) || PII_ACRONYMS.test(around)) return true;
  return WEAK_PII_WORDS.test(around) && ID_TOKEN.test(around);
}

/**
 * The spans of one text with the entity model's spans (PERSON, STREET_ADDRESS) weighed by evidence: with
 * evidence, the score rises halfway to 1; without, it is scaled by BARE_ENTITY_FACTOR. Structured spans (found by
 * validators) are evidence for every name in the same text, and so is an address with evidence.
 */
export function weighEntityEvidence(text: string, spans: readonly PiiSpan[]): PiiSpan[] {
  const addressOk = new Map<PiiSpan, boolean>();
  for (const s of spans) if (s.type === 'STREET_ADDRESS') addressOk.set(s, addressEvidence(text, s));
  // A URL is no one's personal data; every other validated type is.
  const structured = spans.some(
    (s) => s.type !== 'PERSON' && s.type !== 'STREET_ADDRESS' && s.type !== 'URL',
  );
  const textEvidence = structured || [...addressOk.values()].some(Boolean);
  const persons = new Map<PiiSpan, boolean>();
  for (const s of spans) if (s.type === 'PERSON') persons.set(s, personEvidence(text, s, textEvidence));
  // An address next to a name with evidence ("X lives at …", "Name: … Address: …") is an address.
  const personOk = [...persons.values()].some(Boolean);
  return spans.map((s) => {
    const ok =
      s.type === 'PERSON'
        ? persons.get(s)
        : s.type === 'STREET_ADDRESS'
          ? addressOk.get(s) || personOk
          : undefined;
    if (ok === undefined) return s;
    const confidence = ok ? 0.5 + s.confidence / 2 : s.confidence * BARE_ENTITY_FACTOR;
    return { ...s, confidence };
  });
}
