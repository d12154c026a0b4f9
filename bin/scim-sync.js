#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled output; `npm run build` (done by `npm start`) produces it.
const path = require('node:path');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
try {
  require.resolve(compiled);
} catch {
  process.stderr.write('scim-sync: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(compiled).cliMain(process.argv.slice(2));
