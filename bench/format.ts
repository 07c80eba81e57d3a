// Number formatting and plain-text tables for the benchmark's printed reports.

/** `value` with thousands separators and `digits` decimals; `-` when unknown. */
export const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A Markdown-style table with the first column left-aligned and the rest right-aligned. */
export function table(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...body.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
    );
  const separator = widths.map((width) => '-'.repeat(width));
  return [line(header), separator, ...body.map(line)].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
