// Install schemes: where each part of a wheel (purelib, scripts, headers, ...) lands in a venv.
import { posix } from 'node:path';

/** Scheme names the five destinations a wheel's files can go to (PEP 427 `.data/` subdirectories). */
export type Scheme = 'purelib' | 'platlib' | 'headers' | 'scripts' | 'data';

/** SCHEMES lists the valid `.data/` subdirectory names. */
export const SCHEMES: readonly Scheme[] = ['purelib', 'platlib', 'headers', 'scripts', 'data'];

/**
 * HeadersLayout picks where `.data/headers` go: `installer` is what `python -m installer` does
 * (prefix/include/pythonX.Y/<dist>); `pip` is what pip does in a venv (prefix/include/site/pythonX.Y/<dist>).
 */
export type HeadersLayout = 'installer' | 'pip';

/** venvScheme maps each scheme to an absolute directory of the venv at `prefix` (sysconfig's `venv` scheme). */
export function venvScheme(prefix: string, pythonVersion: string, distribution: string, headers: HeadersLayout = 'installer'): Record<Scheme, string> {
  const sitePackages = posix.join(prefix, 'lib', `python${pythonVersion}`, 'site-packages');
  return {
    purelib: sitePackages,
    platlib: sitePackages,
    scripts: posix.join(prefix, 'bin'),
    data: prefix,
    headers: headers === 'pip'
      ? posix.join(prefix, 'include', 'site', `python${pythonVersion}`, distribution)
      : posix.join(prefix, 'include', `python${pythonVersion}`, distribution),
  };
}
