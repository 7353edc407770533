#!/usr/bin/env node
// The `streamgate` command (package.json "bin"). In this repository the TypeScript sources run
// through tsx, as npm start does; the published package has no sources, only the compiled CLI.
const { existsSync } = require('node:fs');
const path = require('node:path');

if (existsSync(path.join(__dirname, 'main.ts'))) {
  require('tsx/cjs');
  require('./main.ts').runCli();
} else {
  require(path.join(__dirname, '..', 'dist', 'cli', 'main.js')).runCli();
}
