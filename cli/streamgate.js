#!/usr/bin/env node
// The `streamgate` command (package.json "bin"): the TypeScript sources run through tsx, as npm start does.
require('tsx/cjs');
require('./main.ts').runCli();
