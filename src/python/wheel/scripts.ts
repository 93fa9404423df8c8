// Launcher scripts for entry points and the `#!python` shebang rewrite, byte-for-byte as
// pypa/installer writes them for POSIX.
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

/** fixShebang replaces a first line starting `#!python` with `#!<interpreter>`; other files pass unchanged. */
export function fixShebang(data: Buffer, interpreter: string): Buffer {
  if (data.subarray(0, 8).toString('latin1') !== '#!python') return data;
  const newline = data.indexOf(0x0a);
  const rest = newline < 0 ? Buffer.alloc(0) : data.subarray(newline + 1);
  return Buffer.concat([Buffer.from(`#!${interpreter}\n`, 'utf8'), rest]);
}
