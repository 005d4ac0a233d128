// Modules every workflow execution in a worker shares (the SDK's `preloadModules`). The reusable V8
// context evaluates a workflow's modules again for every execution, so each new flow paid ~13 ms of
// CPU rebuilding zod (of ~21 ms creating the workflow, measured in the worker's V8 context). zod is
// preloaded here once per worker instead.
//
// What the SDK does to preloaded modules: it deep-freezes them and every global, so nothing in them
// may be state a workflow changes. zod keeps two lazily set globals (its default locale and memoizer,
// in `globalThis.__zod_globalConfig`); building one schema here sets them before the freeze.
//
// Our own schemas (contracts/) are NOT preloaded: zod compiles and caches parsers on a schema on its
// first parse, which a frozen schema refuses. They stay per-execution, as the SDK intends for them.
//
// Imported by nobody: worker.ts names it in workflowBundleOptions, and a bundle built without it still
// runs, only slower.
import { z } from 'zod';

z.object({ warm: z.string() }).safeParse({ warm: 'zod sets its global defaults on the first schema it builds' });

export { z };
