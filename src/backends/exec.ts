// runTool runs a builder's command line, passing its output lines to the log and keeping the tail for errors.
import { spawn } from 'node:child_process';
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
