// The peer's fields an online learner here does not implement: a policy that sets one is rejected at load with the
// reason, never silently served by something else.
import { z } from 'zod';

/** Adds a refinement rejecting each listed field when set to anything but its "off" value. */
export function rejectUnsupported<T extends Record<string, unknown>>(
  schema: z.ZodType<T>,
  unsupported: Readonly<Record<string, string>>,
): z.ZodType<T> {
  return schema.superRefine((value, context) => {
    for (const [field, reason] of Object.entries(unsupported)) {
      const set = value[field];
      if (set === undefined || set === false || set === 0 || set === '' || set === null) continue;
      context.addIssue({ code: 'custom', path: [field], message: `${field} is not supported: ${reason}` });
    }
  }) as unknown as z.ZodType<T>;
}

/** Accepts the field so the refinement above can name it (instead of a bare "unrecognized key"). */
export const peerField = z.unknown().optional();
