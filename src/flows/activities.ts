// All activities of the worker, built from their dependencies.
import { createIsmptActivities, type IsmptActivityDeps } from './ismpt/activities.js';
import { createCipherActivities, type CipherActivityDeps } from './cipher/activities.js';
import { createKiscActivities, type KiscActivityDeps } from './kisc/activities.js';
import { createKpsisActivities, type KpsisActivityDeps } from './kpsis/activities.js';
import { createKonturActivities, type KonturActivityDeps } from './kontur/activities.js';
import { alertSettingsOf, createAlertActivities, type AlertActivityDeps } from './credentials/alerts.activities.js';
import { createCredentialActivities, type CredentialActivityDeps } from './credentials/activities.js';
import { createPersonSigningActivities, type PersonSigningActivityDeps } from './person-signing/activities.js';

export type ActivityDeps = IsmptActivityDeps &
  KonturActivityDeps &
  KiscActivityDeps &
  CipherActivityDeps &
  KpsisActivityDeps &
  AlertActivityDeps &
  CredentialActivityDeps &
  PersonSigningActivityDeps;

export function createActivities(given: ActivityDeps = {}) {
  // Read once, here, when the worker is built: a bad alert setting fails the start, not the first alert.
  const deps = { ...given, alerts: alertSettingsOf(given) };
  return {
    ...createIsmptActivities(deps),
    ...createKonturActivities(deps),
    ...createKiscActivities(deps),
    ...createCipherActivities(deps),
    ...createKpsisActivities(deps),
    ...createAlertActivities(deps),
    ...createCredentialActivities(deps),
    ...createPersonSigningActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
