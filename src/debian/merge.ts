// mergePackages: overlay several packages' entries into one tree the way dpkg would unpack them in order.
import { InputError } from '../errors.js';
import { compareEntryPaths, contentBytes, type TarEntry } from '../tar/entry.js';
import { controlField, relationNames, type ControlFields } from './control-file.js';

/** PackageTree is one package's entries with the control fields that decide overlaps (Replaces). */
export interface PackageTree {
  name: string;
  fields: ControlFields;
  entries: TarEntry[];
}

/** OwnedEntry is an entry in the merged tree and the package it came from. */
export interface OwnedEntry {
  entry: TarEntry;
  owner: string;
}

function sameObject(a: TarEntry, b: TarEntry): boolean {
  if (a.type !== b.type || (a.mode & 0o7777) !== (b.mode & 0o7777) || a.linkTarget !== b.linkTarget) return false;
  if (a.type !== 'file') return true;
  if (a.size !== undefined && b.size !== undefined && a.size !== b.size) return false;
  const left = contentBytes(a);
  const right = contentBytes(b);
  return left !== undefined && right !== undefined && left.equals(right);
}

/**
 * mergePackages adds packages, in order, to `tree`. Directories: the last package wins (dpkg's behaviour for
 * their metadata). Anything else shipped twice must be identical, or one package must declare Replaces on
 * the other (then the replacing package's copy wins); otherwise the clash is reported, as dpkg would.
 */
export function mergePackages(packages: readonly PackageTree[], tree = new Map<string, OwnedEntry>()): Map<string, OwnedEntry> {
  const replaces = new Map(packages.map((pkg) => [pkg.name, new Set(relationNames(controlField(pkg.fields, 'Replaces')))]));
  const replacesOf = (name: string): Set<string> => replaces.get(name) ?? new Set();
  for (const pkg of packages) {
    for (const entry of pkg.entries) {
      const existing = tree.get(entry.path);
      if (!existing) {
        tree.set(entry.path, { entry, owner: pkg.name });
        continue;
      }
      if (existing.entry.type === 'directory' && entry.type === 'directory') {
        tree.set(entry.path, { entry, owner: pkg.name });
        continue;
      }
      const kinds = existing.entry.type === 'directory' || entry.type === 'directory';
      if (!kinds && sameObject(existing.entry, entry)) continue;
      if (!kinds && replacesOf(pkg.name).has(existing.owner)) {
        tree.set(entry.path, { entry, owner: pkg.name });
        continue;
      }
      if (!kinds && replacesOf(existing.owner).has(pkg.name)) continue;
      throw new InputError(
        `packages ${existing.owner} and ${pkg.name} both ship "/${entry.path}" ` +
        `(${existing.entry.type} vs ${entry.type}${kinds ? '' : ', different content'}) and neither Replaces the other`,
      );
    }
  }
  return tree;
}

/**
 * orderHardlinks makes the bytewise-first path of each hardlink group carry the content, because the tar
 * writer sorts entries and an extractor must see a link's target before the link.
 */
export function orderHardlinks(entries: TarEntry[]): TarEntry[] {
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const groups = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.type !== 'hardlink') continue;
    let target = entry.linkTarget!;
    // Follow link-to-link chains to the file that holds the bytes.
    for (let hops = 0; byPath.get(target)?.type === 'hardlink' && hops < 64; hops++) target = byPath.get(target)!.linkTarget!;
    const file = byPath.get(target);
    if (file?.type !== 'file') throw new InputError(`hardlink "/${entry.path}" points at "/${target}", which is not a regular file in the image`);
    const group = groups.get(target) ?? [];
    group.push(entry.path);
    groups.set(target, group);
  }
  for (const [target, links] of groups) {
    const file = byPath.get(target)!;
    const leader = [target, ...links].sort(compareEntryPaths)[0]!;
    for (const path of [target, ...links]) {
      const base = byPath.get(path)!;
      byPath.set(path, path === leader
        ? { ...file, path }
        : { ...base, type: 'hardlink', linkTarget: leader, content: undefined, size: undefined });
    }
  }
  return [...byPath.values()];
}
