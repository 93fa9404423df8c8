// update-alternatives, reproduced: the links a package's postinst would register, chosen by priority.
//
// kiln never runs a postinst, but some libraries only exist under their generic name through
// alternatives (libblas.so.3 and liblapack.so.3 for numpy and scipy). So the postinst text is scanned for
// `update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...` and, per NAME, the
// highest-priority candidate whose PATH is in the image wins, as in dpkg's automatic mode:
// LINK -> /etc/alternatives/NAME -> PATH (slaves likewise). Lines with shell variables are skipped.
import { mergedUsrPath } from './merged-usr.js';
import type { TarEntry } from '../tar/entry.js';

/** AlternativeLink is one link of an alternative: the generic path, its name, and what it points to. */
export interface AlternativeLink {
  link: string;
  name: string;
  path: string;
}

/** Alternative is one `--install` registration, with its slaves. */
export interface Alternative extends AlternativeLink {
  priority: number;
  slaves: AlternativeLink[];
  package: string;
}

/** parseAlternatives reads the `update-alternatives --install` calls of a maintainer script. */
export function parseAlternatives(script: string, packageName: string): Alternative[] {
  const found: Alternative[] = [];
  const joined = script.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n')) {
    const words = line.trim().split(/\s+/);
    const start = words.indexOf('update-alternatives');
    if (start < 0) continue;
    const install = words.indexOf('--install', start);
    if (install < 0) continue;
    const [link, name, path, priority] = words.slice(install + 1, install + 5);
    if (!link || !name || !path || !priority || [link, name, path, priority].some((word) => word.includes('$')) || !/^\d+$/.test(priority)) continue;
    const slaves: AlternativeLink[] = [];
    for (let i = install + 5; i < words.length; i++) {
      if (words[i] !== '--slave') continue;
      const [slaveLink, slaveName, slavePath] = words.slice(i + 1, i + 4);
      if (slaveLink && slaveName && slavePath && ![slaveLink, slaveName, slavePath].some((word) => word.includes('$'))) {
        slaves.push({ link: slaveLink, name: slaveName, path: slavePath });
      }
      i += 3;
    }
    found.push({ link, name, path, priority: Number(priority), slaves, package: packageName });
  }
  return found;
}

const relative = (absolute: string) => mergedUsrPath(absolute.replace(/^\/+/, ''));

/**
 * alternativeEntries picks, per alternative name, the best candidate whose target is in `files`, and
 * returns the two-step links dpkg would make. Links a package already ships are left alone.
 */
export function alternativeEntries(alternatives: readonly Alternative[], files: ReadonlyMap<string, TarEntry>): TarEntry[] {
  const best = new Map<string, Alternative>();
  for (const candidate of alternatives) {
    if (!files.has(relative(candidate.path))) continue;
    const current = best.get(candidate.name);
    // Ties go to the path that sorts first, so the choice never depends on package order.
    if (!current || candidate.priority > current.priority || (candidate.priority === current.priority && candidate.path < current.path)) {
      best.set(candidate.name, candidate);
    }
  }
  const entries: TarEntry[] = [];
  const add = (link: AlternativeLink) => {
    if (files.has(relative(link.link))) return;
    entries.push({ path: `etc/alternatives/${link.name}`, type: 'symlink', mode: 0o777, linkTarget: link.path });
    entries.push({ path: relative(link.link), type: 'symlink', mode: 0o777, linkTarget: `/etc/alternatives/${link.name}` });
  };
  for (const name of [...best.keys()].sort()) {
    const chosen = best.get(name)!;
    add(chosen);
    for (const slave of chosen.slaves) if (files.has(relative(slave.path))) add(slave);
  }
  return entries;
}
