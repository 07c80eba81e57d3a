// A small RFC 4180 reader for the simulator's inputs (trace and prompt CSVs): quoted fields, doubled quotes, CRLF.

/** One record of CSV text with the 1-based line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

/** Splits CSV text into records (quoted fields may hold commas and newlines); blank lines are skipped. */
export function* csvRecords(text: string): Generator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field.length === 0) {
      quoted = true;
      sawAny = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      sawAny = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (sawAny || field.length > 0) {
        fields.push(field);
        yield { line: recordLine, fields };
      }
      fields = [];
      field = '';
      sawAny = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      sawAny = true;
    }
  }
  if (sawAny || field.length > 0) {
    fields.push(field);
    yield { line: recordLine, fields };
  }
}
