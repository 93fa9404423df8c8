// Helpers for tests that use real clients: Docker Engine, skopeo, umoci.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { get } from 'node:http';
import type { TestContext } from 'node:test';

export { freePort } from './registry.js';

const exec = promisify(execFile);

/** sh runs a command and returns its stdout; a failure throws with its stderr. */
export async function sh(command: string, args: string[], options: { timeout?: number } = {}): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { maxBuffer: 64 << 20, timeout: options.timeout ?? 300_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

async function answers(command: string, args: string[]): Promise<boolean> {
  return exec(command, args, { timeout: 20_000 }).then(() => true, () => false);
}

/**
 * requireTool skips the test when a tool is missing on a developer's machine, but fails it when the
 * test services were started (KILN_TEST_SERVICES=1, as in CI), where a missing tool is a real problem.
 */
export async function requireTool(t: TestContext, what: 'docker' | 'skopeo' | 'umoci'): Promise<boolean> {
  const probe: Record<typeof what, [string, string[]]> = {
    docker: ['docker', ['info', '--format', '{{.ServerVersion}}']],
    skopeo: ['skopeo', ['--version']],
    umoci: ['umoci', ['--version']],
  };
  const [command, args] = probe[what];
  if (await answers(command, args)) return true;
  if (process.env.KILN_TEST_SERVICES === '1') throw new Error(`${what} is not available although the test services were started`);
  t.skip(`${what} not available (run scripts/test-services.sh install && start)`);
  return false;
}

function httpGetOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // node:http rather than fetch: undici may leave a half-open socket unreferenced while a container starts.
    const request = get(url, { timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/** httpGetWithRetry polls a URL until it answers (a container needs a moment to start). */
export async function httpGetWithRetry(url: string, seconds = 30): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + seconds * 1000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await httpGetOnce(url);
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  throw new Error(`${url} did not answer in ${seconds}s: ${String(lastError)}`);
}
