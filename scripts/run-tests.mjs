#!/usr/bin/env node
// Runs the test files (test/**/*.test.ts, then src/**/*.test.ts, or those named) with Node's test runner under tsx,
// KILN_TEST_CONCURRENCY (default 2) at a time, printing spec output, the slowest files and a final
// `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const filters = process.argv.slice(2);
// test/ (end-to-end files and the corpus: minutes each) goes first, src/ (seconds each) after: the runner starts
// files in this order, so the short ones fill the slots while the long ones run instead of all long ones coming last.
let files = [...findTests(join(root, 'test')).sort(), ...findTests(join(root, 'src')).sort()];
if (filters.length) files = files.filter((file) => filters.some((filter) => file.includes(filter)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Through run-files.mjs rather than `node --test`, which would run the files sorted by path whatever the order here.
// Every test process gets its temp files under one directory of this run (TMPDIR), removed when all passed: tests
// make caches, layouts and images under the OS temp dir, and a killed or failing test leaves them behind (gigabytes
// over a day of runs). A failed run keeps it to look into (named first: the last line is the tally).
const scratch = mkdtempSync(join(tmpdir(), 'kiln-tests-'));
console.error(`temp files of this run: ${scratch} (removed if every test passes)`);
const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/run-files.mjs'), ...files], {
  cwd: root, stdio: 'inherit', env: { ...process.env, TMPDIR: scratch },
});
if (result.status === 0) rmSync(scratch, { recursive: true, force: true });
process.exit(result.status ?? 1);
