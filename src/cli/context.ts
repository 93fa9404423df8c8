// CommandContext: what a command may touch besides its arguments, so tests can capture it.
import { readFileSync } from 'node:fs';
import { BlobStore, defaultCacheDir } from '../cache/blob-store.js';
import { redact } from '../http/redact.js';

/** CommandContext carries the process's streams, environment and cache. */
export interface CommandContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  version: string;
  /** argv is the command line after `kiln` (`build`, `DIR`, ...), as given. */
  argv?: readonly string[];
  /** overrides are the `--set PATH=VALUE` options, applied to kiln.yaml before validation wherever it is read. */
  overrides?: readonly string[];
  /** cache returns the content-addressed blob store ($KILN_CACHE_DIR or the XDG cache dir). */
  cache(): BlobStore;
  /** stopSignal is aborted when a long-running command (build --watch) should end: SIGINT or SIGTERM. A context
   * without one runs such a command until the process ends. */
  stopSignal?(): AbortSignal;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/** redacting wraps a stream so that no text written to it carries a password or token (URLs, logs, errors). */
export function redacting<T extends NodeJS.WritableStream>(stream: T): T {
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => (target.write as (...args: unknown[]) => boolean)(typeof chunk === 'string' ? redact(chunk) : chunk, ...rest);
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** createContext builds the context of the running process. */
export function createContext(): CommandContext {
  let store: BlobStore | undefined;
  let stop: AbortController | undefined;
  return {
    stdout: redacting(process.stdout),
    stderr: redacting(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    version: packageVersion(),
    cache: () => (store ??= new BlobStore(defaultCacheDir(process.env))),
    // Handlers installed only for a command that asks: any other ends on Ctrl-C as Node does by default.
    stopSignal: () => {
      if (!stop) {
        const controller = (stop = new AbortController());
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
      }
      return stop.signal;
    },
  };
}
