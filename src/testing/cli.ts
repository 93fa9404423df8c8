// runKiln runs the real CLI in a child process. Tests need no build step: the first run in a test process bundles
// src/cli/main.ts with scripts/bundle.mjs (the bundle bin/kiln.js runs) into .test-cli/<digest of the sources>/,
// which every later run, and every other test process on the same sources, reuses. Under tsx each run spent about a
// second transpiling and resolving some 300 modules; the bundle starts in a fraction of that. KILN_TEST_TSX=1 runs
// main.ts under tsx instead (a stack trace that names .ts lines).
import { spawn, spawnSync, type ChildProcessByStdio, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
/** Two levels below the checkout, as dist/bundle/ is: kiln finds package.json and its checkout relative to its code. */
const BUNDLES = join(ROOT, '.test-cli');

/** CliResult is what a kiln run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let command: string[] | undefined;

// sourceDigest names the code a bundle is made from: every source file but the tests, and the dependency lock.
function sourceDigest(): string {
  const hash = createHash('sha256');
  const src = join(ROOT, 'src');
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((name) => /\.(ts|js|json)$/.test(name) && !/\.test\.ts$/.test(name)).sort();
  for (const name of files) hash.update(`${name}\0`).update(readFileSync(join(src, name))).update('\0');
  for (const name of ['package-lock.json', 'scripts/bundle.mjs']) hash.update(readFileSync(join(ROOT, name)));
  return hash.digest('hex').slice(0, 16);
}

function kilnCommand(): string[] {
  if (command) return command;
  if (process.env.KILN_TEST_TSX === '1') return (command = ['--import', import.meta.resolve('tsx'), ENTRY]);
  const dir = join(BUNDLES, sourceDigest());
  if (!existsSync(join(dir, 'fingerprint'))) {
    // Built beside and renamed into place: test processes started together never run a half-written bundle.
    const building = `${dir}.${process.pid}.tmp`;
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), building], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`bundling kiln for the tests failed: ${built.stderr}`);
    try {
      renameSync(building, dir);
    } catch {
      // Another test process put the same bundle there first.
      rmSync(building, { recursive: true, force: true });
    }
    pruneOldBundles(dir);
  }
  return (command = [join(dir, 'main.js')]);
}

// Bundles of earlier sources are left by edits; those untouched for a day go.
function pruneOldBundles(keep: string): void {
  for (const name of readdirSync(BUNDLES)) {
    const path = join(BUNDLES, name);
    try {
      if (path !== keep && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** spawnKiln starts `kiln ...args` and hands back the process, for a test that talks to it while it runs. */
export function spawnKiln(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...kilnCommand(), ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env } });
}

/**
 * runKilnBin runs `kiln ...args` as an installed kiln starts: bin/kiln.js itself (the no-change replay first, then
 * the CLI), pointed at the test bundle instead of dist/bundle/.
 */
export function runKilnBin(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const [main] = kilnCommand();
  if (!main!.endsWith('main.js')) throw new Error('runKilnBin needs the bundle: unset KILN_TEST_TSX');
  const bundle = main!.slice(0, -'main.js'.length);
  // Under -e, process.argv holds no script path: one stands in, so bin/kiln.js's argv.slice(2) is `args`.
  const bin = readFileSync(join(ROOT, 'bin/kiln.js'), 'utf8').replace(/^#!.*\n/, '').replaceAll('../dist/bundle/', `file://${bundle}`);
  return collect(spawn(process.execPath, ['--input-type=module', '-e', bin, '--', 'bin/kiln.js', ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** runKiln runs `kiln ...args` with extra environment variables. */
export function runKiln(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return collect(spawn(process.execPath, [...kilnCommand(), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
}

// collect waits for a child and returns its exit code and output.
function collect(child: ChildProcessByStdio<null, Readable, Readable>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** repoRoot is the checkout's root directory. */
export const repoRoot = ROOT;
