// The command table: each command's name, its line in `kiln --help` and how to load it. Only the invoked command's
// module is imported, so start-up stays fast and `kiln --help` imports none.
import type { Command } from './command.js';

/** CommandEntry is one row of the table: `synopsis` and `line` make its line in `kiln --help`. */
export interface CommandEntry {
  synopsis: string;
  line: string;
  load: () => Promise<{ command: Command }>;
}

/**
 * COMMANDS maps every command name to its help line and module, in the order `kiln --help` lists them. `completion`
 * is added by main.ts (COMPLETION): it reads this table, so listing it here would make a circle of imports.
 */
export const COMMANDS: Record<string, CommandEntry> = {
  init: { synopsis: 'init [DIR] [--force]', line: 'write kiln.yaml for a poetry, uv or requirements project, then plan it', load: () => import('./commands/init.js') },
  plan: { synopsis: 'plan [DIR] [--only GLOB] [--json]', line: 'print every entry (matrices expanded) with tags and destinations', load: () => import('./commands/plan.js') },
  build: { synopsis: 'build [DIR] [-o DEST]... [--json]', line: 'build the images described by DIR/kiln.yaml (--push to publish)', load: () => import('./commands/build.js') },
  push: { synopsis: 'push [DIR] [--only GLOB]', line: 'publish the images the last build of DIR/kiln.yaml produced', load: () => import('./commands/push.js') },
  tag: { synopsis: 'tag [DIR] --built NAME@DIGEST...', line: 'write the tags of entries pushed by digest (the last step of a cluster build)', load: () => import('./commands/tag.js') },
  workflow: { synopsis: 'workflow argo|github [DIR]', line: 'emit an Argo Workflow or GitHub Actions workflow: one pod or job per entry', load: () => import('./commands/workflow.js') },
  lock: { synopsis: 'lock [DIR] [--update]', line: 'resolve distro packages and write kiln.lock', load: () => import('./commands/lock.js') },
  validate: { synopsis: 'validate IMAGE...', line: 're-check every digest, size and diffId of an image', load: () => import('./commands/validate.js') },
  dockerfile: { synopsis: 'dockerfile [DIR] [-o generated/]', line: 'write a multi-stage Dockerfile and context per image', load: () => import('./commands/dockerfile.js') },
  sbom: { synopsis: 'sbom [DIR] [--only NAME] [-o FILE]', line: 'write an entry\'s CycloneDX or SPDX SBOM from its pinned plan', load: () => import('./commands/sbom.js') },
  source: { synopsis: 'source sync|bump|checkout|refresh', line: 'upstream sources: sync pins, bump NAME [--to REF], edit the patch series', load: () => import('./commands/source.js') },
  scan: { synopsis: 'scan [DIR|PLACE] [--severity LIST]', line: 'scan each entry (or an image) against the OSV database', load: () => import('./commands/scan.js') },
  db: { synopsis: 'db update [DIR] [--ecosystem E]...', line: 'download the OSV database kiln scan reads into the cache', load: () => import('./commands/db.js') },
  context: { synopsis: 'context push [DIR] REF', line: 'push the pinned plan\'s inputs as an OCI artifact; prints REF@sha256:...', load: () => import('./commands/context.js') },
  'self-image': { synopsis: 'self-image [-o DEST]...', line: 'build kiln\'s own image (Debian trixie + nodejs, user 65532)', load: () => import('./commands/self-image.js') },
  inspect: { synopsis: 'inspect PLACE|DIR[/ENTRY] [--json]', line: 'an image\'s config, layers (sizes, what each holds) and packages', load: () => import('./commands/inspect.js') },
  why: { synopsis: 'why PACKAGE [PLACE|DIR[/ENTRY]]', line: 'the dependency chains that pulled a package in, and what removing it saves', load: () => import('./commands/why.js') },
  diff: { synopsis: 'diff A B [--json]', line: 'layers, packages, files and config changed between two images', load: () => import('./commands/diff.js') },
  report: { synopsis: 'report [DIR] [-o FILE]', line: 'one HTML page: size treemap, packages and why, scans, build history', load: () => import('./commands/report.js') },
};

/** COMPLETION_LINE is `kiln completion`'s row, without its loader. */
export const COMPLETION_LINE = { synopsis: 'completion bash|zsh|fish', line: 'print a shell completion script (source it, or see the README)' };

/** helpText is `kiln --help`: one line per command, from the table (no command module is imported). */
export function helpText(commands: Record<string, Omit<CommandEntry, 'load'>>): string {
  const width = Math.max(...Object.values(commands).map((entry) => entry.synopsis.length)) + 2;
  return [
    'usage: kiln <command> [options]',
    '',
    'commands:',
    ...Object.values(commands).map((entry) => `  ${entry.synopsis.padEnd(width)}${entry.line}`),
    '',
    'kiln <command> --help shows its arguments and options; kiln help <command> does the same.',
    'global options: --debug (stack traces), --help, --version',
    'commands that read kiln.yaml take -f FILE and --set PATH=VALUE (repeatable) overrides of its values',
    'image places: oci:PATH[:TAG]  docker-archive:PATH[:REF]  docker://REF',
  ].join('\n');
}
