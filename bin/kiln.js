#!/usr/bin/env node
// Entry script: the only place that exits the process (see src/cli/main.ts).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
