// The bad-input corpus: every test/corpus/<area>/<case>/case.json is run through the real CLI in a temp
// copy of its folder and must end with its exit code, exactly one `kiln: ` line on stderr matching its
// pattern, no stack trace, and nothing (not even a temp file) at its destinations. New bugs add a case.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CaseSetup, CaseSpec, SetupFunction } from './case.js';
import { closeSharedAptRepo } from './debian-repo.js';
import { makeShared } from './shared.js';

const CORPUS = dirname(fileURLToPath(import.meta.url));
// KILN_CORPUS_ENTRY=/other/checkout/src/cli/main.ts runs the corpus against another checkout's kiln.
const ENTRY = resolve(process.env.KILN_CORPUS_ENTRY ?? fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)));
const NODE_MODULES = join(ENTRY, '../../../node_modules');
const JOBS = Number(process.env.KILN_CORPUS_JOBS ?? 3);
// KILN_CORPUS_ONLY=base/ runs the cases whose name contains it (while writing a new case).
const ONLY = process.env.KILN_CORPUS_ONLY ?? '';

interface Case {
  name: string;
  dir: string;
  spec: CaseSpec;
}

// Folders under an area without a case.json (a misspelt file name would otherwise skip a case silently).
const strays: string[] = [];

function discover(): Case[] {
  const cases: Case[] = [];
  for (const area of readdirSync(CORPUS, { withFileTypes: true })) {
    if (!area.isDirectory() || /^[._]/.test(area.name)) continue;
    for (const one of readdirSync(join(CORPUS, area.name), { withFileTypes: true })) {
      const dir = join(CORPUS, area.name, one.name);
      if (!one.isDirectory()) continue;
      if (!existsSync(join(dir, 'case.json'))) {
        strays.push(`${area.name}/${one.name}`);
        continue;
      }
      cases.push({ name: `${area.name}/${one.name}`, dir, spec: JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseSpec });
    }
  }
  return cases.sort((a, b) => a.name.localeCompare(b.name));
}

function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    if (!(name in vars)) throw new Error(`unknown placeholder ${whole}`);
    return vars[name]!;
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  seconds: number;
}

// runKiln in src/testing has no deadline (and always uses tsx); a case that hangs must fail here, so this one kills the process group.
function runKiln(args: string[], cwd: string, env: NodeJS.ProcessEnv, seconds: number): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, seconds * 1000);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

// Leftovers of an interrupted write: tempSibling names them `<path>.tmp-<pid>-<hex>`.
async function tempLeftovers(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (/\.tmp-/.test(entry.name)) found.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
  }
  return found;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

let root = '';
let shared = '';
// How kiln is started: main.ts under tsx, or (the default) main.ts bundled once by esbuild, the compiler tsx
// itself runs on. Under tsx most of each run's ~2.4 s of CPU is transpiling and resolving ~150 modules;
// the bundle runs the same code in ~1 s, which keeps the corpus within its time budget.
let cli: string[] = [];

async function bundleCli(dir: string): Promise<string[]> {
  if (process.env.KILN_CORPUS_TSX === '1') return ['--import', import.meta.resolve('tsx'), ENTRY];
  const esbuild = createRequire(fileURLToPath(import.meta.resolve('tsx')))('esbuild') as typeof import('esbuild');
  const outfile = join(dir, 'cli', 'main.mjs');
  await esbuild.build({ entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
  // Bare imports in the bundle resolve through a node_modules beside it.
  await symlink(NODE_MODULES, join(dir, 'node_modules'));
  return [outfile];
}

describe('bad-input corpus', { concurrency: JOBS }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-corpus-'));
    shared = join(root, 'shared');
    [cli] = await Promise.all([bundleCli(root), makeShared(shared)]);
  });
  after(async () => {
    await closeSharedAptRepo();
    await rm(root, { recursive: true, force: true });
  });

  const cases = discover();
  test('every case folder has a case.json with a description, args and an exit code', () => {
    assert.deepEqual(strays, []);
    for (const one of cases) {
      assert.ok(one.spec.description && Array.isArray(one.spec.args) && Number.isInteger(one.spec.exit), `${one.name}/case.json`);
      assert.ok(one.spec.exit === 0 || one.spec.stderr, `${one.name}/case.json: a failing case needs "stderr"`);
    }
  });

  for (const one of cases.filter((c) => c.name.includes(ONLY))) {
    const seconds = one.spec.timeout ?? 30;
    test(`${one.name}: ${one.spec.description}`, { timeout: (seconds + 30) * 1000 }, async (t) => {
      const work = join(root, one.name.replace('/', '--'));
      const dir = join(work, 'case');
      await cp(one.dir, dir, { recursive: true });
      let setup: CaseSetup = {};
      if (existsSync(join(one.dir, 'setup.ts'))) {
        const module = await import(pathToFileURL(join(one.dir, 'setup.ts')).href) as { default: SetupFunction };
        setup = (await module.default({ dir, shared })) ?? {};
      }
      try {
        const vars = { dir, shared, ...setup.vars };
        const manifest = join(dir, 'kiln.yaml');
        if (existsSync(manifest)) {
          const text = await readFile(manifest, 'utf8');
          if (text.includes('{{')) await writeFile(manifest, fill(text, vars));
        }
        const env: NodeJS.ProcessEnv = { ...process.env, KILN_CACHE_DIR: join(work, 'cache'), ...setup.env };
        delete env.KILN_DEBUG;
        for (const [key, value] of Object.entries(one.spec.env ?? {})) env[key] = fill(value, vars);
        const run = await runKiln(one.spec.args.map((arg) => fill(arg, vars)), dir, env, seconds);
        t.diagnostic(`${run.seconds.toFixed(1)} s`);
        const shown = `exit ${run.code}, stderr:\n${run.stderr}`;
        assert.ok(!run.timedOut, `kiln did not finish within ${seconds} s (${shown})`);
        assert.equal(run.code, one.spec.exit, shown);
        assert.doesNotMatch(run.stderr + run.stdout, /^\s+at /m, `no stack trace: ${shown}`);
        if (one.spec.exit === 0 && one.spec.stderr === undefined) {
          assert.equal(run.stderr, '', 'a positive control prints nothing on stderr with -q');
        } else {
          assert.ok(one.spec.stderr, 'case.json needs "stderr" when exit is not 0');
          const lines = run.stderr.replace(/\n$/, '').split('\n');
          assert.equal(lines.length, 1, `exactly one stderr line: ${shown}`);
          assert.match(lines[0]!, /^kiln: /);
          assert.match(lines[0]!, new RegExp(one.spec.stderr));
        }
        for (const secret of one.spec.secrets ?? []) {
          assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `"${secret}" leaked: ${shown}`);
        }
        for (const path of one.spec.absent ?? []) {
          const full = resolve(dir, fill(path, vars));
          assert.ok(!(await exists(full)), `${path} must not exist`);
          const parent = dirname(full);
          if (!relative(dir, parent).startsWith('..')) {
            const leftovers = (await readdir(parent).catch(() => [] as string[])).filter((name) => name.startsWith(`${basename(full)}.tmp`));
            assert.deepEqual(leftovers, [], `temp files beside ${path}`);
          }
        }
        for (const path of one.spec.present ?? []) assert.ok(await exists(resolve(dir, fill(path, vars))), `${path} must exist`);
        assert.deepEqual(await tempLeftovers(dir), [], 'no temp files left in the case folder');
      } finally {
        await setup.close?.();
        await rm(work, { recursive: true, force: true });
      }
    });
  }
});
