// The README's performance table is written by `npm run bench -- --readme` between two markers, so the figures
// in the README are the ones a run printed, with its date and the machine's core count.
import { readFileSync, writeFileSync } from 'node:fs';

export const BEGIN_MARKER = '<!-- bench-targets:begin (written by `npm run bench -- --readme`) -->';
export const END_MARKER = '<!-- bench-targets:end -->';

/** `readme` with the text between the markers replaced by `body`; throws when the markers are missing. */
export function replaceBenchSection(readme: string, body: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin)
    throw new Error(`the README has no bench section: add the lines\n${BEGIN_MARKER}\n${END_MARKER}`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${body.trim()}\n${readme.slice(end)}`;
}

/** The section's text: when and where it was measured, then the table. */
export function benchSection(table: string, date: Date, cores: number, note?: string): string {
  const day = date.toISOString().slice(0, 10);
  return [
    `Measured by \`npm run bench\` on ${day}, ${cores} cores${note ? ` (${note})` : ''}:`,
    '',
    table,
  ].join('\n');
}

export function writeBenchSection(readmeFile: string, section: string): void {
  writeFileSync(readmeFile, replaceBenchSection(readFileSync(readmeFile, 'utf8'), section));
}
