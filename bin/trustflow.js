#!/usr/bin/env node
// Entry point of the `trustflow` command; the code lives in the compiled dist/ (built by npm install).
import('../dist/src/client/cli.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('trustflow: not built yet; run `npm install` (or `npm run build`) in the trustflow folder first');
    process.exit(1);
  }
  throw err;
});
