// The line `validate` prints for a fragment: what it holds and what it was checked against.
import type { FragmentSummary } from '../policy/fragment.ts';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** e.g. `fragment OK: 2 signals (keywords: 2), 1 decision, 0 plugins, checked in the minimal base`. */
export function fragmentReport(summary: FragmentSummary, base: string | undefined, warnings: number): string {
  const families = [...summary.signals];
  const signalCount = families.reduce((sum, [, count]) => sum + count, 0);
  const parts = [
    `${plural(signalCount, 'signal')}${families.length ? ` (${families.map(([f, n]) => `${f}: ${n}`).join(', ')})` : ''}`,
    plural(summary.decisions, 'decision'),
    `${plural(summary.plugins.length, 'plugin')}${summary.plugins.length ? ` (${summary.plugins.join(', ')})` : ''}`,
  ];
  if (summary.algorithm !== undefined) parts.push(`algorithm ${summary.algorithm}`);
  if (summary.hasGlobal) parts.push('global');
  const builtIn = summary.baseSignals.filter((s) => s.builtIn).map((s) => `${s.type}:${s.name}`);
  const placeholders = summary.baseSignals.filter((s) => !s.builtIn).map((s) => `${s.type}:${s.name}`);
  const against =
    base !== undefined
      ? `merged into ${base}`
      : `checked in the minimal base${builtIn.length ? `; built-in signals ${builtIn.join(', ')}` : ''}` +
        `${placeholders.length ? `; placeholder signals ${placeholders.join(', ')}` : ''}`;
  return `fragment OK: ${parts.join(', ')}, ${against}${warnings ? `, ${plural(warnings, 'warning')}` : ''}`;
}
