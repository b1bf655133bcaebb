#!/usr/bin/env node
/* global require, process */
'use strict';
// The CLI is TypeScript like the rest of the project; tsx (a runtime dependency) compiles it on
// load, so `npx toolsmith` works right after `npm install` with no build step.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('tsx/cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./main.ts').runCli(process.argv);
