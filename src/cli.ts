#!/usr/bin/env node
import { closeInheritedFds } from './core/fds.js';
import { main, reportError } from './main.js';

closeInheritedFds();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = reportError(e, false);
  },
);
