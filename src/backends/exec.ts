// runTool runs a builder's command line, passing its output lines to the log and keeping the tail for errors;
// streamTool hands a command's stdout to a reader as it is written (`docker save` read straight into the cache).
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { NetworkError } from '../errors.js';

/** ToolError is a builder command that exited non-zero; its message ends with the command's last output line. */
export class ToolError extends NetworkError {}

/** runTool runs `command args`, resolving with stdout; a failure is a ToolError naming the command and its last line. */
export function runTool(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void; what: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const tail: string[] = [];
    const onLine = (text: string): void => {
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        tail.push(line.trim());
        if (tail.length > 20) tail.shift();
        options.log?.(`${options.what}: ${line.trim()}`);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
    child.stderr.on('data', (chunk: Buffer) => onLine(chunk.toString()));
    child.on('error', (error) => reject(new ToolError(`${options.what}: cannot run ${command}: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) return resolve(stdout);
      const last = [...tail, ...stdout.trim().split('\n').slice(-3)].filter((line) => /error|fail|denied|not found|missing/i.test(line)).at(-1) ?? tail.at(-1) ?? '';
      reject(new ToolError(`${options.what}: ${command} ${args[0] ?? ''} exited with ${code}${last ? `: ${last}` : ''}`));
    });
  });
}

/**
 * streamTool runs `command args` and hands its stdout to `read` while it runs, resolving with what `read` returns.
 * When the command fails, that is the error (a ToolError with its last stderr line), not the reader's complaint
 * about output cut short; when the reader fails, the command is stopped.
 */
export async function streamTool<T>(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; what: string }, read: (stdout: Readable) => Promise<T>): Promise<T> {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line.trim());
      if (tail.length > 20) tail.shift();
    }
  });
  const cannotRun = new Promise<never>((_, reject) => child.on('error', (error) => reject(new ToolError(`${options.what}: cannot run ${command}: ${error.message}`, { cause: error }))));
  // 'close' waits for stderr to end too (its last line names the failure); 'exit' does not wait for a grandchild
  // that still holds the pipes, which is all a stopped command's caller needs.
  const closed = Promise.race([cannotRun, new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)))]);
  const exited = Promise.race([cannotRun, new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))]);
  closed.catch(() => undefined);
  exited.catch(() => undefined);
  const failed = (code: number): ToolError => {
    const last = tail.filter((line) => /error|fail|denied|not found|missing/i.test(line)).at(-1) ?? tail.at(-1) ?? '';
    return new ToolError(`${options.what}: ${command} ${args[0] ?? ''} exited with ${code}${last ? `: ${last}` : ''}`);
  };
  let result: T;
  try {
    result = await read(child.stdout);
  } catch (error) {
    child.kill();
    const code = await exited.catch(() => 1);
    // The command's own failure explains a stream cut short better than the reader can.
    if (code !== 0 && child.signalCode === null) throw failed(code);
    throw error;
  }
  const code = await closed;
  if (code !== 0) throw failed(code);
  return result;
}
