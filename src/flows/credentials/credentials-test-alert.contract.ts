// credentialsTestAlert: `trustflow credentials test-alert`: one test alert through the worker's own
// sink. Pure: workflow-safe.
import { z } from 'zod';

export const CREDENTIALS_TEST_ALERT = 'credentialsTestAlert';

export const CredentialsTestAlertInputSchema = z
  .object({
    /** Shown in the alert's text, e.g. who asked and why (no secret; one line, at most 200 characters). */
    note: z
      .string()
      .max(200)
      .regex(/^[^\r\n]*$/, 'must be one line')
      .optional(),
  })
  .strict();
export type CredentialsTestAlertInput = z.input<typeof CredentialsTestAlertInputSchema>;
