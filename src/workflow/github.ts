// A GitHub Actions workflow from the model: a matrix job per entry running kiln's image as the pods do, then a tag job
// that `needs:` the whole matrix. Digests travel between jobs as artifacts, since matrix legs cannot each set outputs.
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { buildArgs, KILN_UID, POD_PATHS, quantity, type WorkflowModel } from './model.js';

/** GithubOptions: `name` is the workflow's name in the Actions tab. */
export interface GithubOptions {
  name?: string;
}

type Json = Record<string, unknown>;

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!match) throw new UsageError(`"${duration}" is not a duration like 30s or 2m`);
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.max(1, Math.round(Number(match[1]) * scale));
}

// The same restrictions as the Argo pods, spelled as docker run flags: the runner is a VM we do not otherwise trust kiln with.
function dockerRun(model: WorkflowModel): string {
  return [
    'docker run --rm',
    `--user ${KILN_UID}:${KILN_UID} --read-only --cap-drop ALL --security-opt no-new-privileges`,
    `--tmpfs ${POD_PATHS.tmp}`,
    `-v "$RUNNER_TEMP/kiln-cache:${POD_PATHS.cache}" -v "$RUNNER_TEMP/registry-auth:${POD_PATHS.registryAuth}:ro"`,
    `-e DOCKER_CONFIG=${POD_PATHS.registryAuth} -e KILN_CACHE_DIR=${POD_PATHS.cache} -e TMPDIR=${POD_PATHS.tmp}`,
    `--memory ${Math.round(quantity(model.resources.memoryLimit))} --cpus ${quantity(model.resources.cpuLimit)}`,
    shellQuote(model.image),
  ].join(' \\\n    ');
}

// A retry loop in the step: Actions has no per-job retry, and a registry hiccup should not fail the run.
function retried(model: WorkflowModel, command: string): string {
  const attempts = model.retry.limit + 1;
  return [
    `for attempt in $(seq 1 ${attempts}); do`,
    `  if ${command}; then break; fi`,
    `  if [ "$attempt" = ${attempts} ]; then exit 1; fi`,
    `  sleep $(( ${seconds(model.retry.backoff)} * (1 << (attempt - 1)) ))`,
    'done',
  ].join('\n');
}

function credentialsStep(secret: string): Json {
  return {
    name: 'registry credentials',
    env: { DOCKER_CONFIG_JSON: `\${{ secrets.${secret} }}` },
    run: [
      'mkdir -p "$RUNNER_TEMP/registry-auth" "$RUNNER_TEMP/kiln-cache"',
      'printf \'%s\' "$DOCKER_CONFIG_JSON" > "$RUNNER_TEMP/registry-auth/config.json"',
      // kiln runs as 65532: it must read the config and write the cache.
      'chmod 0644 "$RUNNER_TEMP/registry-auth/config.json"',
      'chmod 0777 "$RUNNER_TEMP/kiln-cache"',
    ].join('\n'),
  };
}

/** githubWorkflow is the workflow document for the model, as plain data. */
export function githubWorkflow(model: WorkflowModel, options: GithubOptions = {}): Json {
  const secret = model.secret ?? 'KILN_DOCKER_CONFIG';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secret)) throw new UsageError(`--secret "${secret}" is not a GitHub secret name (letters, digits, underscores)`);
  const build = buildArgs(model.context, '"$ENTRY"').map((arg) => (arg === '"$ENTRY"' ? arg : shellQuote(arg))).join(' ');
  const tag = model.tagArgs.map(shellQuote).join(' ');
  return {
    name: options.name ?? 'kiln build',
    on: { workflow_dispatch: {} },
    permissions: { contents: 'read' },
    jobs: {
      build: {
        name: 'build ${{ matrix.entry }}',
        'runs-on': 'ubuntu-latest',
        strategy: {
          'fail-fast': false,
          ...(model.parallelism !== undefined ? { 'max-parallel': model.parallelism } : {}),
          matrix: { entry: model.tasks.map((task) => task.entry) },
        },
        steps: [
          credentialsStep(secret),
          {
            name: 'build and push by digest',
            // The entry name goes through the environment, never into the script text.
            env: { ENTRY: '${{ matrix.entry }}' },
            run: retried(model, `${dockerRun(model)} \\\n    ${build} > built.txt`),
          },
          {
            uses: 'actions/upload-artifact@v4',
            with: { name: 'built-${{ strategy.job-index }}', path: 'built.txt', 'if-no-files-found': 'error', 'retention-days': 1 },
          },
        ],
      },
      tag: {
        // needs: the whole matrix succeeded, or this job does not run and no tag is written.
        needs: 'build',
        'runs-on': 'ubuntu-latest',
        steps: [
          credentialsStep(secret),
          { uses: 'actions/download-artifact@v4', with: { pattern: 'built-*', path: 'built' } },
          {
            name: 'write every tag',
            run: [
              'set --',
              'for file in built/*/built.txt; do set -- "$@" --built "$(cat "$file")"; done',
              retried(model, `${dockerRun(model)} \\\n    ${tag} "$@"`),
            ].join('\n'),
          },
        ],
      },
    },
  };
}

/** githubYaml renders the workflow; the same model always gives the same bytes. */
export function githubYaml(model: WorkflowModel, options: GithubOptions = {}): string {
  return stringify(githubWorkflow(model, options), { lineWidth: 0, aliasDuplicateObjects: false });
}
