#!/usr/bin/env node
// Entry script: the only place that exits the process (see src/cli/main.ts). It runs kiln's bundle (dist/bundle/,
// made by `npm run build`): one file per lazily loaded part instead of hundreds of modules to resolve at start-up.
import { onBrokenPipe, replayUnchanged } from '../dist/bundle/start.js';

// `kiln plan | head -1`: the reader went away; end quietly with 0, as other CLIs do.
onBrokenPipe(process.stdout, () => process.exit(0));

const argv = process.argv.slice(2);
// A build with nothing changed since the last one ends here, before the planner is loaded (src/cli/unchanged.ts).
const replayed = await replayUnchanged(argv, process);
process.exitCode = replayed ?? await (await import('../dist/bundle/main.js')).main(argv);
