// Parses the size notations policies use: token counts like `32K`, `1.5M`, and byte sizes like `4MiB`.
import { z } from 'zod';

const TOKEN_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/;

export function parseTokenCount(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const match = TOKEN_PATTERN.exec(value);
  if (!match) return undefined;
  const scale = { '': 1, k: 1_000, m: 1_000_000 }[(match[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * scale);
}

/** A token count written as a number or as `32K` / `1M` (K = 1,000 as in vLLM Semantic Router). */
export const tokenCountSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseTokenCount(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a token count; write e.g. 8000, 32K or 1M` });
    return z.NEVER;
  }
  return parsed;
});

const BYTE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(|b|kib|ki|kb|k|mib|mi|mb|m|gib|gi|gb|g)\s*$/i;
const BYTE_SCALE: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  ki: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mi: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gi: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

export function parseByteCount(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const match = BYTE_PATTERN.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (BYTE_SCALE[(match[2] ?? '').toLowerCase()] ?? 1));
}

/** A size in bytes written as a number or as `60KiB` / `8MiB` (K = 1,024 for bytes, as Envoy counts them). */
export const byteCountSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseByteCount(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a size in bytes; write e.g. 61440 or 60KiB` });
    return z.NEVER;
  }
  return parsed;
});
