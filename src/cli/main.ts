// kiln's command line: declares the commands, loads each on demand, prints errors as one line.
import { KilnError, UsageError, errorMessage } from '../errors.js';
import type { Command } from './command.js';
import type { CommandContext } from './context.js';
import { createContext } from './context.js';
import { redact } from '../http/redact.js';
import { onBrokenPipe } from './broken-pipe.js';

export type { Command };
export { onBrokenPipe };

const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  build: () => import('./commands/build.js'),
  plan: () => import('./commands/plan.js'),
  push: () => import('./commands/push.js'),
  tag: () => import('./commands/tag.js'),
  workflow: () => import('./commands/workflow.js'),
  lock: () => import('./commands/lock.js'),
  validate: () => import('./commands/validate.js'),
  dockerfile: () => import('./commands/dockerfile.js'),
  sbom: () => import('./commands/sbom.js'),
  source: () => import('./commands/source.js'),
  scan: () => import('./commands/scan.js'),
  db: () => import('./commands/db.js'),
  context: () => import('./commands/context.js'),
  'self-image': () => import('./commands/self-image.js'),
  inspect: () => import('./commands/inspect.js'),
  why: () => import('./commands/why.js'),
  diff: () => import('./commands/diff.js'),
  report: () => import('./commands/report.js'),
  init: () => import('./commands/init.js'),
};

function help(): string {
  return [
    'usage: kiln <command> [options]',
    '',
    'commands:',
    '  init [DIR] [--force]                write kiln.yaml for a poetry, uv or requirements project, then plan it',
    '  plan [DIR] [--only GLOB] [--json]   print every entry (matrices expanded) with tags and destinations',
    '  build [DIR] [-o DEST]... [--json]   build the images described by DIR/kiln.yaml (--push to publish)',
    '  push [DIR] [--only GLOB]            publish the images the last build of DIR/kiln.yaml produced',
    '  push SRC DEST...                    copy an image to one or more registries',
    '  tag [DIR] --built NAME@DIGEST...    write the tags of entries pushed by digest (the last step of a cluster build)',
    '  workflow argo|github [DIR]          emit an Argo Workflow or GitHub Actions workflow: one pod or job per entry',
    '  lock [DIR] [--update]               resolve distro packages and write kiln.lock',
    '  validate IMAGE                      re-check every digest, size and diffId of an image',
    '  dockerfile [DIR] [-o generated/]    write a multi-stage Dockerfile and context per image',
    '  sbom [DIR] [--only NAME] [-o FILE]  write an entry\'s CycloneDX SBOM from its pinned plan',
    '  source sync|bump|checkout|refresh   upstream sources: sync pins, bump NAME [--to REF], edit the patch series',
    '  scan [DIR|PLACE] [--db PATH] [--severity LIST] [--ignore-unfixed] [--ignorefile FILE] [--exit-code N] [--format F]',
    '                                      scan each entry (or an image) against the OSV database',
    '  db update [DIR] [--ecosystem E]...  download the OSV database kiln scan reads into the cache',
    '  context push [DIR] REF              push the pinned plan\'s inputs as an OCI artifact; prints REF@sha256:...',
    '  build --context REF@sha256:...      build a pushed context\'s entries (--only NAME) on any machine',
    '  self-image [-o DEST]...             build kiln\'s own image (Debian trixie + nodejs, user 65532)',
    '  inspect PLACE|DIR[/ENTRY] [--json]  an image\'s config, layers (sizes, what each holds) and packages',
    '  why PACKAGE [PLACE|DIR[/ENTRY]]     the dependency chains that pulled a package in, and what removing it saves',
    '  diff A B [--json]                   layers, packages, files and config changed between two images',
    '  report [DIR] [-o kiln-report.html]  one HTML page per manifest: size treemap, packages and why, scans, build history',
    '',
    'global options: --debug (stack traces), --help',
    'image places: oci:PATH[:TAG]  docker-archive:PATH[:REF]  docker://REF',
  ].join('\n');
}

/** main runs one kiln invocation and returns the exit code; it never calls process.exit. */
export async function main(argv: string[], context: CommandContext = createContext()): Promise<number> {
  const debug = argv.includes('--debug') || process.env.KILN_DEBUG === '1';
  const args = argv.filter((arg) => arg !== '--debug');
  const name = args[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    context.stdout.write(`${context.version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  try {
    if (!load) throw new UsageError(`unknown command "${name}" (try kiln --help)`);
    const { command } = await load();
    if (args.includes('--help') || args.includes('-h')) {
      context.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
      return 0;
    }
    return await command.run(args.slice(1), context);
  } catch (error) {
    context.stderr.write(`kiln: ${redact(errorMessage(error))}\n`);
    if (debug && error instanceof Error) context.stderr.write(`${redact(error.stack ?? '')}\n`);
    if (debug && error instanceof Error && error.cause instanceof Error) context.stderr.write(`caused by: ${redact(error.cause.stack ?? '')}\n`);
    const badArguments = error instanceof UsageError || String((error as NodeJS.ErrnoException)?.code ?? '').startsWith('ERR_PARSE_ARGS');
    return badArguments ? 2 : 1;
  }
}

// When run directly (tests and `npm run kiln` use tsx), behave like bin/kiln.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  onBrokenPipe(process.stdout, () => process.exit(0));
  process.exitCode = await main(process.argv.slice(2));
}

export { KilnError };
