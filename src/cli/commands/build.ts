// kiln build [DIR] [-o DEST]... [--json]: build the images of DIR/kiln.yaml natively.
import { dirname, join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { defineCommand } from '../command.js';
import { jsonOption, manifestOptions, onlyOption, quietOption } from '../options.js';
import { progressLogger } from '../progress.js';
import type { EntryBuilder } from '../../apply/build-entries.js';
import { errorMessage, UsageError } from '../../errors.js';
import { redact } from '../../http/redact.js';
import { parseJobs, parsePlatformOption, runPlan } from '../run-plan.js';
import type { BuildPlan, ImagePlan } from '../../plan/index.js';
import type { CommandContext } from '../context.js';

/** manifestPath finds kiln.yaml given a directory or a file argument. */
export async function manifestPath(argument: string | undefined, cwd: string, file?: string): Promise<string> {
  if (file) return resolve(cwd, file);
  const target = resolve(cwd, argument ?? '.');
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new UsageError(`${target}: no such file or directory`);
  return info.isDirectory() ? join(target, 'kiln.yaml') : target;
}

/** teeStream hands text written to `seen` and passes every write through to `stream` (unless `through` is false). */
function teeStream<T extends NodeJS.WritableStream>(stream: T, seen: (text: string) => void, through = true): T {
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => {
          seen(typeof chunk === 'string' ? chunk : String(chunk));
          if (!through) {
            // A write's callback still runs, as the stream would run it.
            const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
            if (callback) process.nextTick(callback);
            return true;
          }
          return (target.write as (...args: unknown[]) => boolean)(chunk, ...rest);
        };
      }
      return Reflect.get(target, property, target) as unknown;
    },
  });
}

/** generatedDirOf is where a backend writes its generated contexts: $KILN_GENERATED_DIR, else generated/ beside kiln.yaml. */
function generatedDirOf(manifestFile: string, context: CommandContext): string {
  return resolve(context.cwd, context.env.KILN_GENERATED_DIR ?? join(dirname(manifestFile), 'generated'));
}

/** backendBuilder builds entries with `--backend NAME`; generated contexts go to generated/ beside kiln.yaml. */
async function backendBuilder(name: string, plan: BuildPlan, context: CommandContext): Promise<EntryBuilder> {
  const { loadBackend } = await import('../../backends/index.js');
  const backend = await loadBackend(name);
  const generatedDir = generatedDirOf(plan.manifestFile, context);
  return async (entry: ImagePlan, log, progress) => backend.build(entry, {
    store: context.cache(), env: context.env, log, manifestFile: plan.manifestFile, generatedDir, ...(progress ? { progress } : {}),
    print: (text) => context.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  });
}

/**
 * resolvedPlan plans kiln.yaml and pins every input, recording new pins in kiln.lock (refused under --locked). A
 * native build whose planning inputs are unchanged since the last build of the same command takes that build's plan
 * (src/cli/plan-memo.ts) and prints what its planning printed.
 */
async function resolvedPlan(manifestFile: string, values: { output?: string[]; only?: string[]; locked?: boolean; quiet?: boolean; json?: boolean; backend?: string }, argv: readonly string[], context: CommandContext): Promise<BuildPlan> {
  const progress = progressLogger(context, values.quiet || values.json);
  // Every backend builds the same plan, so every backend may take it from the memo (the backend is on the command line,
  // which keys the record).
  const memo = { argv, cwd: context.cwd, env: context.env, store: context.cache() };
  const { recallPlan, recordPlan } = await import('../plan-memo.js');
  const recalled = await recallPlan(manifestFile, memo);
  if (recalled) {
    progress.log(`kiln: the planning inputs of ${manifestFile} are unchanged since the last build: its plan is reused`);
    for (const line of recalled.log) progress.log(line);
    if (recalled.repinned.length) progress.log(`kiln: ${recalled.repinned.join(', ')} changed: pinned again from source`);
    progress.done();
    // The next build compares with the wheels pinned now.
    if (recalled.repinned.length) await recordPlan(recalled.plan, recalled.log, memo);
    return recalled.plan;
  }
  const log: string[] = [];
  const logged = (line: string): void => {
    log.push(line);
    progress.log(line);
  };
  const { planBuild } = await import('../../plan/intent.js');
  const intent = await planBuild({ manifestFile, overrides: context.overrides, outputs: values.output, cwd: context.cwd, env: context.env, only: values.only, store: context.cache(), locked: values.locked ?? false, log: logged });
  const { resolvePlan } = await import('../../resolve/index.js');
  const resolved = await resolvePlan(intent, { store: context.cache(), env: context.env, locked: values.locked ?? false, writeLock: true, keepGoing: true, log: logged });
  progress.done();
  await recordPlan(resolved.plan, log, memo);
  return resolved.plan;
}

/** planFromFile reads a plan file, keeps the --only entries, and refuses one whose local inputs changed since. */
async function planFromFile(file: string, values: { output?: string[]; only?: string[]; file?: string; locked?: boolean }, positionals: string[], context: CommandContext): Promise<BuildPlan> {
  if (positionals.length || values.file || context.overrides) throw new UsageError('--plan builds the plan file\'s entries: give no directory, -f or --set with it');
  if (values.output?.length) throw new UsageError('--plan builds to the outputs the plan names: give -o to kiln plan instead');
  const [{ readPlanFile }, { selectEntries }] = await Promise.all([import('../../plan/file.js'), import('../../plan/intent.js')]);
  const plan = await readPlanFile(file);
  const images = selectEntries(plan.images, values.only);
  const { verifyPins } = await import('../../resolve/verify.js');
  for (const image of images) await verifyPins(image, { store: context.cache(), env: context.env });
  return { ...plan, images };
}

/**
 * planFromContext pulls a context pushed by `kiln context push` (by digest only), unpacks it into the cache and
 * returns its plan's --only entries, refusing any unpacked input that does not match the pins. `-o` replaces the
 * entries' outputs, as it does for kiln.yaml: a context carries no paths on the packer's disk.
 */
async function planFromContext(reference: string, values: { output?: string[]; only?: string[]; file?: string; plan?: string; locked?: boolean }, positionals: string[], context: CommandContext): Promise<BuildPlan> {
  if (positionals.length || values.file || values.plan || context.overrides) throw new UsageError('--context builds the context\'s plan: give no directory, -f, --set or --plan with it');
  const { pullContext } = await import('../../context/index.js');
  const pulled = await pullContext(reference, { store: context.cache(), env: context.env });
  const { entryOutputs, selectEntries } = await import('../../plan/intent.js');
  const selected = selectEntries(pulled.plan.images, values.only);
  const images = values.output?.length ? selected.map((entry) => ({ ...entry, outputs: entryOutputs(values.output!, entry.name, selected.length, context.cwd) })) : selected;
  const { verifyPins } = await import('../../resolve/verify.js');
  for (const image of images) await verifyPins(image, { store: context.cache(), env: context.env });
  return { ...pulled.plan, images };
}

/**
 * watchSession runs `kiln build --watch`: a build, then one after every change to what it was planned from, until
 * SIGINT or SIGTERM (src/cli/watch.ts). A build that fails prints its error as main would and the session goes on.
 */
async function watchSession(manifestFile: string, values: { json?: boolean; quiet?: boolean; backend?: string }, buildOnce: (stdout: NodeJS.WritableStream) => Promise<{ code: number; plan: BuildPlan }>, context: CommandContext): Promise<number> {
  const { watchBuilds, watchSet } = await import('../watch.js');
  const cacheRoot = resolve(context.cache().root);
  return watchBuilds({
    build: async () => {
      // --json: each build's report on one line (JSON Lines), so a reader can take them one by one.
      let report = '';
      const out = values.json ? teeStream(context.stdout, (text) => (report += text), false) : context.stdout;
      try {
        const built = await buildOnce(out);
        if (values.json && report.trim()) context.stdout.write(`${JSON.stringify(JSON.parse(report))}\n`);
        return built;
      } catch (error) {
        context.stderr.write(`kiln: ${redact(errorMessage(error))}\n`);
        return { code: error instanceof UsageError ? 2 : 1 };
      }
    },
    // A backend writes its generated contexts beside kiln.yaml: watched, each build would start the next.
    targets: (plan) => watchSet(plan, context.cwd, cacheRoot, values.backend === 'native' ? [] : [generatedDirOf(plan.manifestFile, context)]),
    fallback: { roots: [dirname(manifestFile)], files: [], ignored: [cacheRoot] },
    log: (line) => (values.quiet ? undefined : context.stderr.write(`${line}\n`)),
    warn: (line) => context.stderr.write(`${line}\n`),
    stop: context.stopSignal?.() ?? new AbortController().signal,
  });
}

export const command = defineCommand({
  summary: 'Build the images described by kiln.yaml (resolved first: new pins go to kiln.lock, refused under --locked), or exactly the entries of a plan file (--plan, from kiln plan --json) or of a context pushed by kiln context push (--context, by digest), natively (no Docker daemon, no privileges) or with --backend (docker and buildah take --build-arg, --network and --secret, as docker build does). An entry with several platforms builds one image each under an OCI image index; a docker-archive output takes one of them (--platform, default the host platform). Entries build in parallel (--jobs); one failure does not stop the others unless --fail-fast. --push publishes every entry to its registries, writing tags only when all succeeded (unless --partial); --push-by-digest uploads without tags and prints NAME@DIGEST per entry, for kiln tag to finish (one pod or job per entry).',
  usage: 'kiln build [DIR|FILE] [-f kiln.yaml] [--plan plan.json | --context REF@sha256:...] [--locked] [-o DEST]... [--only NAME|GLOB]... [--jobs N] [--fail-fast] [--push [--partial] | --push-by-digest] [--db PATH] [--backend native|docker|buildah|kaniko] [--build-arg K=V]... [--network MODE] [--secret id=ID,src=FILE|env=VAR]... [--platform OS/ARCH] [--json] [--quiet]',
  arguments: [{ name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' }],
  options: {
    output: { type: 'string', short: 'o', multiple: true, value: 'DEST', description: 'write every entry here instead of its outputs (oci:DIR, docker-archive:FILE, docker://REF; {name} expands); repeatable' },
    ...manifestOptions,
    ...jsonOption,
    ...quietOption,
    backend: { type: 'string', default: 'native', choices: ['native', 'docker', 'buildah', 'kaniko'], description: 'what builds the entries' },
    ...onlyOption,
    jobs: { type: 'string', short: 'j', default: '2', value: 'N', description: 'entries built at once' },
    'fail-fast': { type: 'boolean', default: false, description: 'start no entry after the first failure' },
    push: { type: 'boolean', default: false, description: 'publish every entry to its registries (tags once all succeeded)' },
    'push-by-digest': { type: 'boolean', default: false, description: 'upload without tags and print NAME@DIGEST per entry, for kiln tag' },
    watch: { type: 'boolean', short: 'w', default: false, description: 'build again whenever a file the build was planned from changes, until Ctrl-C (--json: one report per line)' },
    partial: { type: 'boolean', default: false, description: 'with --push, tag what succeeded even when another entry failed' },
    db: { type: 'string', value: 'PATH', description: 'the OSV database the scan gate reads when publishing' },
    plan: { type: 'string', value: 'FILE', description: 'build exactly the entries of a plan file (kiln plan --json)' },
    locked: { type: 'boolean', default: false, description: 'refuse any input kiln.lock does not pin yet' },
    context: { type: 'string', value: 'REF@sha256:DIGEST', description: 'build a context pushed by kiln context push' },
    platform: { type: 'string', value: 'OS/ARCH', description: 'the platform a docker-archive output takes from an index (default the host\'s)' },
    'build-arg': { type: 'string', multiple: true, value: 'K=V', description: 'a build arg for docker build / buildah bud (docker and buildah backends); repeatable' },
    network: { type: 'string', value: 'MODE', description: 'the network RUN steps use (docker and buildah backends)' },
    secret: { type: 'string', multiple: true, value: 'id=ID,src=FILE|env=VAR[,target=PATH]', description: 'a BuildKit secret for RUN steps (docker and buildah backends); repeatable' },
  },
  async run(values, positionals, context) {
    if (values.partial && !values.push) throw new UsageError('--partial only makes sense with --push');
    if (values['push-by-digest'] && values.partial) throw new UsageError('--push-by-digest writes no tags, so --partial has nothing to hold back');
    const byDigest = values['push-by-digest'];
    const push = values.push || byDigest;
    if (values.db && !push) throw new UsageError('--db is the OSV database the scan gate reads when publishing: it only makes sense with --push');
    const jobs = parseJobs(values.jobs);
    const { isEmpty, mergePassThrough, parseBuildArg, parseSecret } = await import('../../backends/pass-through.js');
    const passThrough = {
      buildArgs: Object.fromEntries((values['build-arg'] ?? []).map(parseBuildArg)),
      ...(values.network ? { network: values.network } : {}),
      secrets: (values.secret ?? []).map((text) => parseSecret(text, context.cwd)),
    };
    // Refused before planning: the native backend (and kaniko's printed command) would silently drop them.
    if (!isEmpty(passThrough) && values.backend !== 'docker' && values.backend !== 'buildah') {
      throw new UsageError(`--build-arg, --network and --secret go to docker build: give --backend docker or buildah (the ${values.backend} backend runs no docker build)`);
    }
    if (values.watch && (push || values.plan || values.context)) throw new UsageError('--watch rebuilds kiln.yaml\'s entries into their outputs: it takes no --push, --push-by-digest, --plan or --context');
    // A watch session keys its records as the same build without --watch, so a later `kiln build` finds them.
    const argv = (context.argv ?? ['build', ...positionals]).filter((arg) => arg !== '--watch' && arg !== '-w');
    const buildOnce = async (stdout: NodeJS.WritableStream): Promise<{ code: number; plan: BuildPlan }> => {
      const planned = values.context
        ? await planFromContext(values.context, values, positionals, context)
        : values.plan
        ? await planFromFile(resolve(context.cwd, values.plan), values, positionals, context)
        : await resolvedPlan(await manifestPath(positionals[0], context.cwd, values.file), values, argv, context);
      return { plan: planned, code: await buildPlanned(planned, stdout) };
    };
    const buildPlanned = async (planned: BuildPlan, out: NodeJS.WritableStream): Promise<number> => {
      const plan = isEmpty(passThrough) ? planned : { ...planned, images: planned.images.map((entry) => ({ ...entry, docker: mergePassThrough(entry.docker, passThrough) })) };
      for (const image of plan.images) {
        if (image.outputs.length === 0 && !(push && image.publish)) {
          throw new UsageError(`${image.name}: no outputs: give -o oci:DIR or docker-archive:FILE, or "outputs" in kiln.yaml`);
        }
      }
      // What this build prints is kept for the no-change fast path (src/cli/unchanged.ts) to print again.
      let printed = '';
      const recording = !values.context && !values.plan && !push && values.backend === 'native';
      const stdout = recording ? teeStream(out, (text) => (printed += text)) : out;
      const code = await runPlan(plan, { ...context, stdout }, {
        jobs,
        failFast: values['fail-fast'],
        push,
        partial: values.partial,
        ...(values.db ? { db: resolve(context.cwd, values.db) } : {}),
        byDigest,
        ...(values.platform ? { platform: parsePlatformOption(values.platform) } : {}),
        json: values.json,
        quiet: values.quiet,
        ...(values.backend !== 'native' ? { builder: await backendBuilder(values.backend, plan, context) } : {}),
      });
      if (code === 0 && recording) {
        const { recordUnchanged } = await import('../unchanged.js');
        await recordUnchanged([...argv], plan, printed, { env: context.env, cwd: context.cwd, store: context.cache() });
      }
      return code;
    };
    if (!values.watch) return (await buildOnce(context.stdout)).code;
    return watchSession(await manifestPath(positionals[0], context.cwd, values.file), values, buildOnce, context);
  },
});
