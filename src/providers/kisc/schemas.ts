// zod schemas of KISC's identity exchange (ЦОИД), from the participant memo's examples
// (shared/providers/kisc.md). No public specification exists: the personal-data response is
// accepted as any JSON object and trimmed by the caller to the fields it asked for.
import { z } from 'zod';
import { KISC_UTC_OFFSET_MINUTES } from '../../contracts/kisc-time.js';

export const VendorsResponseSchema = z.object({
  vendors: z.array(z.object({ id: z.number().int(), name: z.string() })),
});
export type Vendor = z.infer<typeof VendorsResponseSchema>['vendors'][number];

/** POST /verify and GET /verify. `vendor` comes back as the vendor's name, not its id. */
export const VerificationSchema = z.object({
  iin: z.string(),
  vendor: z.string(),
  /** Face-match similarity, 0..1, higher is more similar. */
  result: z.number().min(0).max(1),
  x_idempotency_key: z.string().min(1),
});
export type Verification = z.infer<typeof VerificationSchema>;

export const PersonalDataSchema = z.record(z.string(), z.unknown());
export type PersonalData = z.infer<typeof PersonalDataSchema>;

export const NewsSchema = z.array(z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), subject: z.string(), text: z.string() }));
export type NewsItem = z.infer<typeof NewsSchema>[number];

/** `datetime` is dd.MM.yyyy HH:mm:ss, local time of the provider (Almaty, UTC+5; not stated). */
export const TransactionsSchema = z.array(
  z.object({
    vendor_name: z.string(),
    datetime: z.string().regex(/^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$/),
    similarity: z.number(),
    x_idempotency_key: z.string().min(1),
  }),
);
export type Transaction = z.infer<typeof TransactionsSchema>[number];

export const ActSchema = z.object({ binary: z.string().regex(/^[A-Za-z0-9+/=\s]+$/) });

/** `28.10.2021 11:20:40` (Almaty) → ISO 8601 UTC. */
export function transactionTimeToIso(datetime: string): string {
  const m = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(datetime);
  if (!m) throw new Error(`not a dd.MM.yyyy HH:mm:ss time: ${datetime}`);
  const [, dd, mm, yyyy, hh, mi, ss] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(yyyy, mm - 1, dd, hh, mi, ss) - KISC_UTC_OFFSET_MINUTES * 60_000).toISOString();
}
