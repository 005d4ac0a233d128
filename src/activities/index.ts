// All activities of the worker, built from their dependencies.
import { createIsmptActivities, type IsmptActivityDeps } from './ismpt.js';
import { createCipherActivities, type CipherActivityDeps } from './cipher.js';
import { createKiscActivities, type KiscActivityDeps } from './kisc.js';
import { createKpsisActivities, type KpsisActivityDeps } from './kpsis.js';
import { createKonturActivities, type KonturActivityDeps } from './kontur.js';
import { alertSettingsOf, createAlertActivities, type AlertActivityDeps } from './alerts.js';
import { createCredentialActivities, type CredentialActivityDeps } from './credentials.js';

export type ActivityDeps = IsmptActivityDeps &
  KonturActivityDeps &
  KiscActivityDeps &
  CipherActivityDeps &
  KpsisActivityDeps &
  AlertActivityDeps &
  CredentialActivityDeps;

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
  };
}

export type Activities = ReturnType<typeof createActivities>;
