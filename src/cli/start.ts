// What bin/kiln.js runs before it decides whether to load the CLI: the broken-pipe handler and the no-change replay
// (src/cli/unchanged.ts). scripts/bundle.mjs bundles this file on its own, in one file with no shared chunks, so a
// build with nothing changed reads two files instead of a dozen.
export { onBrokenPipe } from './broken-pipe.js';
export { replayUnchanged } from './unchanged.js';
