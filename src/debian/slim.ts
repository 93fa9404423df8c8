// slimEntries: drop the files a server image never reads, by named rule, and count what each rule removed.
//
// The rules (names and descriptions in src/plan/slim-rules.ts) extend the path-exclude rules Debian's own slim
// images and distroless use. Paths are merged-/usr, without a leading slash. A rule's top folder itself stays
// (packages expect it), and so does any file a kept hardlink needs. `keep` globs win over every rule; `drop`
// globs remove more (counted as "drop").
import picomatch from 'picomatch';
import type { DistroBaseSpec } from '../config/schema.js';
import { SLIM_RULE_NAMES, type SlimRemoved, type SlimRuleName } from '../plan/slim-rules.js';
import type { TarEntry } from '../tar/entry.js';

/** SlimPolicy is a distro base's `slim:` setting, normalised: the rules on, and the globs. */
export interface SlimPolicy {
  rules: SlimRuleName[];
  keep: string[];
  drop: string[];
}

/** SlimReport is what each rule (and `drop`) removed, by name; rules that removed nothing are absent. */
export type SlimReport = SlimRemoved;

const DOC_FILE = /^usr\/share\/doc\/[^/]+\/(.+)$/;
const GCONV = /^usr\/lib\/[^/]+\/gconv\/(.+)$/;
const KEPT_GCONV = /^(gconv-modules(\.cache|\.d\/.*)?|UTF-\d+\.so|UTF-7\.so|UNICODE\.so|ISO8859-(1|15)\.so)$/;
// A tests/ or test/ folder below a package's own folder: dist-packages/<pkg>/(...)/tests/...
const PYTHON_TESTS = /^usr\/(local\/)?lib\/python3(\.\d+)?\/(dist|site)-packages\/[^/]+\/(.+\/)?tests?\/./;
const PYTHON_TEST_MODULES = /^usr\/lib\/python3\.\d+\/(lib-dynload\/(_test[a-z_]*|xxlimited(_\d+)?|_xxtestfuzz)\.cpython-[^/]+\.so|pydoc_data\/.)/;

const MATCHERS: Record<SlimRuleName, (path: string) => boolean> = {
  docs: (path) => {
    const doc = DOC_FILE.exec(path);
    return doc !== null && doc[1] !== 'copyright';
  },
  man: (path) => /^usr\/share\/(man|groff)\/./.test(path),
  info: (path) => /^usr\/share\/info\/./.test(path),
  lintian: (path) => /^usr\/share\/(lintian|linda)\/./.test(path),
  locale: (path) => /^usr\/share\/locale\/./.test(path) && path !== 'usr/share/locale/locale.alias',
  'python-tests': (path) => PYTHON_TESTS.test(path),
  'python-test-modules': (path) => PYTHON_TEST_MODULES.test(path),
  headers: (path) => /^usr\/include\/./.test(path),
  'static-libs': (path) => /^usr\/lib\/.+\.a$/.test(path),
  'tz-right': (path) => /^usr\/share\/zoneinfo\/right\/./.test(path),
  // Not a path filter: assembly moves the modules into the archive per layer (stdlib-zip.ts).
  'python-stdlib-zip': () => false,
  charsets: (path) => {
    const gconv = GCONV.exec(path);
    return gconv !== null && !KEPT_GCONV.test(gconv[1]!);
  },
};

/** DEFAULT_SLIM is `slim: true`: every rule, no globs. */
export const DEFAULT_SLIM: SlimPolicy = { rules: [...SLIM_RULE_NAMES], keep: [], drop: [] };

/** slimPolicy normalises a distro base's `slim:` setting. */
export function slimPolicy(slim: DistroBaseSpec['slim'] | undefined): SlimPolicy {
  if (slim === undefined || slim === true) return DEFAULT_SLIM;
  if (slim === false) return { rules: [], keep: [], drop: [] };
  const strip = (globs: string[]): string[] => globs.map((glob) => glob.replace(/^\/+/, ''));
  return { rules: slim.rules ?? [...SLIM_RULE_NAMES], keep: strip(slim.keep), drop: strip(slim.drop) };
}

/** slimRuleOf returns a function naming the rule (or "drop") that removes a path, or undefined when the path stays. */
export function slimRuleOf(policy: SlimPolicy): (path: string) => string | undefined {
  const keep = policy.keep.length ? picomatch(policy.keep, { dot: true }) : () => false;
  const drop = policy.drop.length ? picomatch(policy.drop, { dot: true }) : () => false;
  const rules = policy.rules.map((name) => [name, MATCHERS[name]] as const);
  return (path) => {
    if (keep(path)) return undefined;
    for (const [name, matches] of rules) if (matches(path)) return name;
    return drop(path) ? 'drop' : undefined;
  };
}

// A development package is only in a base because someone asked for a compiler: its headers and static libraries stay.
const DEVELOPMENT_FILES: readonly string[] = ['headers', 'static-libs'];

/**
 * slimEntries filters one package's entries and counts, per rule, the non-directory entries and bytes removed.
 * `development` marks a build-only package (a -dev package, a compiler): the headers and static-libs rules skip it.
 */
export function slimEntries(entries: readonly TarEntry[], policy: SlimPolicy, development = false): { entries: TarEntry[]; removed: SlimReport } {
  const applied = development ? { ...policy, rules: policy.rules.filter((rule) => !DEVELOPMENT_FILES.includes(rule)) } : policy;
  if (!applied.rules.some((rule) => rule !== 'python-stdlib-zip') && !applied.drop.length) return { entries: [...entries], removed: {} };
  const ruleOf = slimRuleOf(applied);
  const rules = entries.map((entry) => ruleOf(entry.path));
  const needed = new Set(entries.filter((entry, i) => rules[i] === undefined && entry.type === 'hardlink').map((entry) => entry.linkTarget));
  const kept: TarEntry[] = [];
  const removed: SlimReport = {};
  entries.forEach((entry, i) => {
    const rule = rules[i];
    if (rule === undefined || needed.has(entry.path)) {
      kept.push(entry);
      return;
    }
    if (entry.type === 'directory') return;
    const count = (removed[rule] ??= { files: 0, bytes: 0 });
    count.files += 1;
    count.bytes += entry.type === 'file' ? (entry.size ?? 0) : 0;
  });
  return { entries: kept, removed };
}

/** addReports sums reports rule by rule. */
export function addReports(reports: readonly SlimReport[]): SlimReport {
  const total: SlimReport = {};
  for (const report of reports) {
    for (const [rule, { files, bytes }] of Object.entries(report)) {
      const count = (total[rule] ??= { files: 0, bytes: 0 });
      count.files += files;
      count.bytes += bytes;
    }
  }
  return Object.fromEntries(Object.entries(total).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
