// All activities of the worker, built from their dependencies.
import { createIsmptActivities, type IsmptActivityDeps } from './ismpt.js';

export type ActivityDeps = IsmptActivityDeps;

export function createActivities(deps: ActivityDeps = {}) {
  return {
    ...createIsmptActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
