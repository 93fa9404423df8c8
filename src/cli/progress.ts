// Progress lines: rewritten in place on a terminal, one plain line each otherwise; always on stderr.
import type { CommandContext } from './context.js';

/** progressLogger returns a log function suited to the context's stderr. */
export function progressLogger(context: CommandContext, quiet = false): { log: (line: string) => void; done: () => void } {
  if (quiet) return { log: () => undefined, done: () => undefined };
  const tty = context.stderr.isTTY === true;
  let last = '';
  return {
    log(line: string) {
      if (tty) {
        const width = (context.stderr as { columns?: number }).columns ?? 100;
        const text = line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
        context.stderr.write(`\r\x1b[2K${text}`);
        last = text;
      } else {
        context.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (tty && last) context.stderr.write('\r\x1b[2K');
    },
  };
}

/** formatBytes prints sizes the way `docker images` does (decimal units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
