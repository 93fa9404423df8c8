// Launcher scripts for entry points and the `#!python` shebang rewrite, byte-for-byte as
// pypa/installer writes them for POSIX.
import { Transform, type TransformCallback } from 'node:stream';
import type { ScriptEntryPoint } from './entry-points.js';

/** buildShebang mirrors distlib: a plain `#!` line when it fits, else a /bin/sh trampoline. */
export function buildShebang(interpreter: string): string {
  if (!interpreter.includes(' ') && Buffer.byteLength(interpreter) + 3 <= 127) return `#!${interpreter}`;
  return `#!/bin/sh\n'''exec' ${shellQuote(interpreter)} "$0" "$@"\n' '''`;
}

// Python's shlex.quote: safe characters pass through, anything else is single-quoted.
function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** scriptLauncher is the file an entry point becomes in bin/ (console and GUI scripts are alike on POSIX). */
export function scriptLauncher(entry: ScriptEntryPoint, interpreter: string): Buffer {
  const importName = entry.attr.split('.')[0];
  const code = [
    '# -*- coding: utf-8 -*-',
    'import re',
    'import sys',
    `from ${entry.module} import ${importName}`,
    "if __name__ == \"__main__\":",
    '    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])',
    `    sys.exit(${entry.attr}())`,
    '',
  ].join('\n');
  return Buffer.from(`${buildShebang(interpreter)}\n${code}`, 'utf8');
}

/** PYTHON_SHEBANG is the first-line marker installers replace with the venv's interpreter. */
export const PYTHON_SHEBANG = '#!python';

/**
 * ShebangRewrite streams a script, replacing a first line that starts `#!python` with `#!<interpreter>`;
 * other files pass unchanged. It holds at most the first 8 bytes, so a script of any size streams through.
 */
export class ShebangRewrite extends Transform {
  private head = Buffer.alloc(0);
  private state: 'head' | 'first-line' | 'rest' = 'head';

  constructor(private readonly interpreter: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.state === 'head') {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < PYTHON_SHEBANG.length) return callback();
      chunk = this.head;
      this.head = Buffer.alloc(0);
      if (chunk.subarray(0, PYTHON_SHEBANG.length).toString('latin1') !== PYTHON_SHEBANG) {
        this.state = 'rest';
        return callback(null, chunk);
      }
      this.state = 'first-line';
    }
    if (this.state === 'first-line') {
      // The old first line is dropped as it streams past, however long it is.
      const newline = chunk.indexOf(0x0a);
      if (newline < 0) return callback();
      this.state = 'rest';
      return callback(null, Buffer.concat([this.newFirstLine(), chunk.subarray(newline + 1)]));
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'head') callback(null, this.head.length ? this.head : undefined);
    else if (this.state === 'first-line') callback(null, this.newFirstLine());
    else callback();
  }

  private newFirstLine(): Buffer {
    return Buffer.from(`#!${this.interpreter}\n`, 'utf8');
  }
}
