// runGit: the system git, never prompting (credentials come from git's own helpers or not at all), its failure
// reduced to the one line of stderr that says why.
import { spawn } from 'node:child_process';
import { KilnError, InputError } from '../errors.js';

/** GitResult is what a git run printed and how it ended. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** GitOptions: the directory git runs in, extra environment, and text for its stdin. */
export interface GitOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
}

// A commit kiln makes (a patch of a series) must hash the same on every machine and every run.
const FIXED_DATE = '2000-01-01T00:00:00+0000';

/** gitEnvironment is the environment git runs with: no prompts, no pager, fixed dates for kiln's own commits. */
export function gitEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_DATE: FIXED_DATE,
    GIT_COMMITTER_NAME: 'kiln',
    GIT_COMMITTER_EMAIL: 'kiln@localhost',
    LC_ALL: 'C',
  };
}

/** runGit runs git and returns its output whatever the exit code; a missing git is an InputError. */
export function runGit(args: string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnvironment(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new InputError('git is not installed (kiln fetches sources with the system git)', { cause: error }) : error);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** gitReason picks the line of git's stderr that explains a failure (its last `fatal:` or `error:` line). */
export function gitReason(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const reason = [...lines].reverse().find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1) ?? 'git failed';
  return reason.replace(/^(fatal|error):\s*/, '');
}

/** git runs git and returns stdout, or throws `Kind("context: reason")` when git fails. */
export async function git(args: string[], options: GitOptions & { context: string; Kind?: new (message: string, options?: { cause?: unknown }) => KilnError }): Promise<string> {
  const result = await runGit(args, options);
  if (result.code !== 0) {
    const Kind = options.Kind ?? InputError;
    throw new Kind(`${options.context}: ${gitReason(result.stderr)}`);
  }
  return result.stdout;
}
