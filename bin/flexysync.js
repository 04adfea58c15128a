#!/usr/bin/env node
'use strict';
// The compiled CLI lives in dist/ (built by `npm run build`, which `npm ci` runs through `prepare`).
try {
  require.resolve('../dist/cli/main.js');
} catch {
  console.error('flexysync is not built yet: run `npm run build` (or use `npx tsx src/cli/main.ts`).');
  process.exit(1);
}
require('../dist/cli/main.js').runCli(process.argv);
