#!/usr/bin/env node
// Prebundles trustflow's workflow code (webpack, through the SDK's bundleWorkflowCode) into one file,
// so a production worker does not bundle at every start. Run after `npm run build`:
//
//   node scripts/bundle-workflows.mjs [OUT]        (default dist/workflow-bundle.js)
//
// The image build runs it (Dockerfile); the worker loads the file when TRUSTFLOW_WORKFLOW_BUNDLE
// names it (Worker.create({ workflowBundle: { codePath } }), see src/worker/worker.ts).
// The options must match what the worker registers: the same workflows, the same failure converter
// (test/helpers/temporal.ts bundles alike) and the OpenTelemetry workflow interceptor module, which
// the worker adds only when it bundles itself (src/worker/worker.ts): a prebuilt bundle must carry it.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'dist', 'workflow-bundle.js'));

// The compiled paths, from the modules the worker itself uses (not repeated here).
const { workflowsPath, workflowPreloadModules } = await import(pathToFileURL(join(root, 'dist', 'src', 'worker', 'worker.js')).href);
const { failureConverterPath } = await import(pathToFileURL(join(root, 'dist', 'src', 'codec', 'data-converter.js')).href);
const telemetry = await import(pathToFileURL(join(root, 'dist', 'src', 'worker', 'telemetry.js')).href);
if (typeof telemetry.otelWorkflowInterceptorModule !== 'string') {
  throw new Error('dist/src/worker/telemetry.js exports no otelWorkflowInterceptorModule: keep this script in step with worker.ts');
}
const workflowInterceptorModules = [telemetry.otelWorkflowInterceptorModule];
if (!Array.isArray(workflowPreloadModules)) {
  throw new Error('dist/src/worker/worker.js exports no workflowPreloadModules: keep this script in step with worker.ts');
}

const started = Date.now();
const { code } = await bundleWorkflowCode({
  workflowsPath,
  failureConverterPath,
  workflowInterceptorModules,
  preloadModules: workflowPreloadModules,
  logger: new DefaultLogger('WARN'),
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`trustflow: workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`);
