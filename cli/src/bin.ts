#!/usr/bin/env node
import { watchForClosedOutput } from './closed-output.ts';
import { main } from './program.ts';

watchForClosedOutput();
process.exitCode = await main(process.argv.slice(2));
