#!/usr/bin/env node
// Entry script: the only place that exits the process (see src/cli/main.ts).
import { main, onBrokenPipe } from '../dist/cli/main.js';

// `kiln plan | head -1`: the reader went away; end quietly with 0, as other CLIs do.
onBrokenPipe(process.stdout, () => process.exit(0));

process.exitCode = await main(process.argv.slice(2));
