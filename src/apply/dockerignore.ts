// .dockerignore semantics: patterns relative to the context root, `**`, `!` exceptions, last match wins,
// and excluding a directory excludes what is under it.
import picomatch from 'picomatch';

/** IgnoreMatcher decides whether a context-relative path is left out of the build context. */
export type IgnoreMatcher = (path: string, isDirectory: boolean) => boolean;

interface Rule {
  negate: boolean;
  match: (path: string) => boolean;
}

/** parseDockerignore compiles the text of a .dockerignore file. */
export function parseDockerignore(text: string): IgnoreMatcher {
  const rules: Rule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    // Docker cleans patterns like filepath.Clean: leading "/" and "./" mean the context root.
    line = line.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
    if (!line) continue;
    const matcher = picomatch(line, { dot: true });
    rules.push({ negate, match: matcher });
  }
  return (path: string) => {
    let ignored = false;
    for (const rule of rules) {
      if (rule.match(path) || ancestors(path).some((parent) => rule.match(parent))) ignored = !rule.negate;
    }
    return ignored;
  };
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}
