// kiscReconcileDaily: what the daily KISC schedule (installed by the credential inventory for a
// KISC mTLS credential) runs: yesterday's kiscReconcile. Pure: workflow-safe.
import type { KiscEndpoint } from '../../contracts/kisc-endpoint.js';

export const KISC_RECONCILE_DAILY = 'kiscReconcileDaily';

export interface KiscReconcileDailyInput {
  credentialId: string;
  connection: KiscEndpoint;
}
