#!/usr/bin/env node
// Bundles the CLI (after tsc) into dist/bundle/ for bin/kiln.js: kiln's modules and its pure-JS dependencies in a
// few files, split where the code imports lazily (a command, openpgp, the registry client) so that start-up reads
// and links only what a command uses, instead of resolving some 300 modules one by one. dist/ from tsc stays the
// library (package.json "exports"). dist/bundle/ sits two levels below the package, like dist/cli/, so the paths
// kiln finds relative to its own code (package.json, the checkout) are the same from both.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { build } from 'esbuild';

// An output folder may be given (a compiled copy of the checkout elsewhere, as the tests make); default dist/bundle/.
const outdir = process.argv[2] ? `${resolve(process.argv[2])}/` : new URL('../dist/bundle/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
const common = {
  absWorkingDir: new URL('..', import.meta.url).pathname,
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Stay in node_modules: a native addon; libraries that read their own files by __dirname (CycloneDX's resources,
  // which also requires optional plugins that may be absent; the zstd and xz WebAssembly modules); and the packages
  // kiln imports with import(), which a bundle would hand over as a default export only (CommonJS ones), where Node
  // gives their named exports. All are loaded lazily.
  external: ['@napi-rs/lzma', '@cyclonedx/cyclonedx-library', '@bokuweb/zstd-wasm', 'xz-decompress', 'undici', 'openpgp', 'fzstd', 'yazl'],
  // CommonJS dependencies call require() for Node's modules.
  banner: { js: "import { createRequire as __kilnCreateRequire } from 'node:module'; const require = __kilnCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  write: false,
};
const [cli, start] = await Promise.all([
  build({ ...common, entryPoints: { main: 'src/cli/main.ts' }, splitting: true, chunkNames: 'kiln-[hash]' }),
  // What bin/kiln.js loads first (src/cli/start.ts) in one file of its own: the no-change replay reads nothing else.
  build({ ...common, entryPoints: { start: 'src/cli/start.ts' }, splitting: false }),
]);
const result = { outputFiles: [...cli.outputFiles, ...start.outputFiles] };
// fingerprint names this bundle's code (src/apply/image-key.ts), so that kiln need not stat its files at start-up.
const hash = createHash('sha256');
for (const file of [...result.outputFiles].sort((a, b) => (a.path < b.path ? -1 : 1))) {
  hash.update(`${relative(outdir, file.path)}\0`).update(file.contents);
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.contents);
}
writeFileSync(`${outdir}fingerprint`, `sha256:${hash.digest('hex')}\n`);
