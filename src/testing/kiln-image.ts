// kiln's own image for e2e tests: `kiln self-image` run from a compiled copy of this checkout (the test never writes
// the real one), loaded into the shared dockerd. Its .deb downloads are kept in the e2e files' shared cache,
// so only the first e2e file of a machine pays for them.
import { spawn } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './cli.js';
import { sh } from './docker.js';
import { sharedCacheDir } from './shared-cache.js';

/** ProcessResult is what a child process printed and how it exited. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** runProcess runs a command to its end, collecting its output, with extra environment variables. */
export function runProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** compiledCheckout makes a compiled copy of the checkout in dir, as a user has it after `npm ci && npm run build`. */
export async function compiledCheckout(dir: string): Promise<void> {
  await mkdir(join(dir, 'images/kiln'), { recursive: true });
  for (const name of ['package.json', 'package-lock.json', 'bin', 'schema', 'images/kiln/kiln.yaml']) await cp(join(repoRoot, name), join(dir, name), { recursive: true });
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const tsc = await runProcess(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')]);
  if (tsc.code !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  const bundle = await runProcess(process.execPath, [join(repoRoot, 'scripts/bundle.mjs'), join(dir, 'dist/bundle')]);
  if (bundle.code !== 0) throw new Error(`bundling failed:\n${bundle.stdout}${bundle.stderr}`);
}

/** KilnImage is kiln's image, loaded into Docker under tag. */
export interface KilnImage {
  tag: string;
  digest: string;
  seconds: number;
  /** remove untags it from Docker. */
  remove(): Promise<void>;
}

/** loadKilnImage builds kiln's image from a compiled copy of the checkout under work and loads it into Docker as tag. */
export async function loadKilnImage(work: string, tag: string, options: { cacheDir?: string } = {}): Promise<KilnImage> {
  const checkout = join(work, 'kiln-checkout');
  await compiledCheckout(checkout);
  const started = performance.now();
  const archive = join(work, 'kiln-image.tar');
  const built = await runProcess(process.execPath, [join(checkout, 'bin/kiln.js'), 'self-image', '-o', `docker-archive:${archive}:${tag}`, '--json'], {
    cwd: work, env: { KILN_CACHE_DIR: options.cacheDir ?? sharedCacheDir() },
  });
  if (built.code !== 0) throw new Error(`kiln self-image failed:\n${built.stderr}`);
  const seconds = (performance.now() - started) / 1000;
  const digest = (JSON.parse(built.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest;
  await sh('docker', ['load', '-i', archive]);
  return { tag, digest, seconds, remove: async () => void (await sh('docker', ['rmi', tag]).catch(() => undefined)) };
}
