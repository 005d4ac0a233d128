import type { z } from 'zod';

/** Human-readable list of what is wrong with an input: paths and our own messages, never values. */
export function describeInputIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
}
