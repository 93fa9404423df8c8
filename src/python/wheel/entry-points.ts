// entry_points.txt: an INI file read the way pypa/installer reads it (ConfigParser, `=` only,
// case kept), yielding the console and GUI scripts to generate.
import { InputError } from '../../errors.js';

/** ScriptEntryPoint is one `name = module:attr [extras]` line of [console_scripts] or [gui_scripts]. */
export interface ScriptEntryPoint {
  name: string;
  module: string;
  attr: string;
  section: 'console' | 'gui';
}

/** parseIni reads sections of `key = value` lines, with `#`/`;` comments and indented continuations. */
export function parseIni(text: string, what: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const stripped = line.trim();
    if (stripped === '' || stripped.startsWith('#') || stripped.startsWith(';')) {
      lastKey = undefined;
      continue;
    }
    if (/^\s/.test(line) && current && lastKey !== undefined) {
      current.set(lastKey, `${current.get(lastKey)}\n${stripped}`);
      continue;
    }
    const section = /^\[(.+)\]$/.exec(stripped);
    if (section) {
      if (sections.has(section[1]!)) throw new InputError(`${what}: section [${section[1]}] appears twice`);
      current = new Map();
      sections.set(section[1]!, current);
      lastKey = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new InputError(`${what}: cannot parse line "${stripped}"`);
    const key = line.slice(0, eq).trim();
    if (current.has(key)) throw new InputError(`${what}: "${key}" appears twice`);
    current.set(key, line.slice(eq + 1).trim());
    lastKey = key;
  }
  return sections;
}

const ENTRY_POINT = /^(?<module>[\p{L}\p{N}_.]+)\s*(:\s*(?<attr>[\p{L}\p{N}_.]+))\s*(\[.*\])?\s*$/u;

/** parseScriptEntryPoints lists console and GUI scripts; `what` names the wheel in errors. */
export function parseScriptEntryPoints(text: string, what: string): ScriptEntryPoint[] {
  const scripts: ScriptEntryPoint[] = [];
  for (const [sectionName, entries] of parseIni(text, `${what}: entry_points.txt`)) {
    if (sectionName !== 'console_scripts' && sectionName !== 'gui_scripts') continue;
    for (const [name, value] of entries) {
      const match = ENTRY_POINT.exec(value);
      if (!match?.groups) throw new InputError(`${what}: entry point "${name} = ${value}" is not module:attr`);
      scripts.push({ name, module: match.groups.module!, attr: match.groups.attr!, section: sectionName === 'gui_scripts' ? 'gui' : 'console' });
    }
  }
  return scripts;
}
