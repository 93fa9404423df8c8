// Docker credential helpers: `docker-credential-<name> get` reads a server URL on stdin and prints
// {"Username","Secret"} as JSON, the protocol docker itself uses for keychains and cloud logins.
import { spawn } from 'node:child_process';
import { InputError } from '../errors.js';
import type { Credential } from './credentials.js';
import { redact, rememberSecret } from '../http/redact.js';

/** HelperOptions let tests point at a PATH holding their own helper scripts. */
export interface HelperOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

interface HelperOutput {
  stdout: string;
  stderr: string;
  code: number | null;
}

function runHelper(program: string, input: string, options: HelperOptions): Promise<HelperOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** helperServerUrl is the key docker uses with helpers: Docker Hub's legacy index URL, else the host. */
export function helperServerUrl(registry: string): string {
  return registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
}

/** credentialFromHelper runs `docker-credential-<helper> get` for a registry; undefined when it has none. */
export async function credentialFromHelper(helper: string, registry: string, options: HelperOptions = {}): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`;
  let output: HelperOutput;
  try {
    output = await runHelper(program, helperServerUrl(registry), options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`credential helper ${program} for ${registry} is not installed (not found on PATH)`);
    }
    throw new InputError(`credential helper ${program} for ${registry} could not run: ${(error as Error).message}`);
  }
  if (output.code !== 0) {
    // The helper protocol's way of saying "nothing stored for this server".
    if (/credentials not found/i.test(output.stdout + output.stderr)) return undefined;
    const said = redact((output.stderr || output.stdout).trim().split('\n')[0] ?? '').slice(0, 200);
    throw new InputError(`credential helper ${program} for ${registry} failed (exit ${output.code})${said ? `: ${said}` : ''}`);
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(output.stdout) as typeof parsed;
  } catch {
    throw new InputError(`credential helper ${program} for ${registry} printed something that is not JSON`);
  }
  if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined;
  rememberSecret(parsed.Secret);
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  // Docker's convention: the user "<token>" means the secret is an identity (refresh) token.
  if (username === '<token>') return { identityToken: parsed.Secret };
  return { username, password: parsed.Secret };
}
