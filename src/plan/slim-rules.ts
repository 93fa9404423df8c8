// The `slim:` rules of a distro base by name, with what each removes: plain data the config, the plan and
// `kiln plan` share. The matching itself lives with the Debian assembly (src/debian/slim.ts).

/** SLIM_RULES names each file rule and says what it removes, in the order rules are tried. */
export const SLIM_RULES = {
  docs: 'usr/share/doc (each package\'s copyright stays)',
  man: 'man pages (usr/share/man, usr/share/groff)',
  info: 'info manuals (usr/share/info)',
  lintian: 'packaging-check overrides (usr/share/lintian, usr/share/linda)',
  locale: 'message translations (usr/share/locale; locale.alias stays)',
  'python-tests': 'tests/ and test/ folders inside Python packages in dist-packages and site-packages (not the stdlib test package)',
  'python-test-modules': 'CPython\'s test-only extension modules (lib-dynload/_test*, xxlimited*, _xxtestfuzz) and pydoc\'s topic texts (pydoc_data)',
  headers: 'C headers (usr/include)',
  'static-libs': 'static libraries (usr/lib/**/*.a)',
  'tz-right': 'leap-second time zones (usr/share/zoneinfo/right; Debian moved them to tzdata-legacy in trixie)',
  'python-stdlib-zip': 'CPython\'s pure-Python standard library moved into usr/lib/python3X.zip, which CPython reads first (os.py, symlinked modules and packages other packages extend stay files)',
  charsets: 'glibc iconv modules (gconv) except UTF-*, UNICODE and ISO-8859-1/15; Python never uses iconv',
} as const;

/** SlimRuleName is one rule's name. */
export type SlimRuleName = keyof typeof SLIM_RULES;

/** SLIM_RULE_NAMES lists every rule, all on by default. */
export const SLIM_RULE_NAMES = Object.keys(SLIM_RULES) as [SlimRuleName, ...SlimRuleName[]];

/** BUILDER_SLIM is the `slim:` of a builder base that compiles: every rule but those removing headers and static libraries. */
export const BUILDER_SLIM = {
  rules: SLIM_RULE_NAMES.filter((name) => name !== 'headers' && name !== 'static-libs'),
  keep: [] as string[],
  drop: [] as string[],
};

/** SLIM_MEMO is the cache memo kind recording, by a layer's diffId, what the slim rules removed from it (SlimRemoved). */
export const SLIM_MEMO = 'debian-slim';

/** SlimRemoved counts, per rule (or "drop"), the files (not directories) and bytes a layer was assembled without. */
export type SlimRemoved = Record<string, { files: number; bytes: number }>;
