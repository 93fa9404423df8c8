// What `kiln build --backend docker|buildah` passes to the builder besides the context: --build-arg, --network,
// --secret. Flags are read here, merged over kiln.yaml's `docker:` per entry, and rendered as command-line arguments.
// A secret is named by file or variable, never carried by value: it reaches neither the plan nor the log.
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DockerPassThrough, DockerSecret, ImagePlan } from '../plan/index.js';
import { InputError, UsageError } from '../errors.js';

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** parseBuildArg reads `--build-arg NAME=VALUE`. */
export function parseBuildArg(text: string): [string, string] {
  const at = text.indexOf('=');
  const name = at < 0 ? text : text.slice(0, at);
  if (at < 0 || !VARIABLE.test(name)) throw new UsageError(`--build-arg "${text}" is not NAME=VALUE`);
  return [name, text.slice(at + 1)];
}

/** parseSecret reads `--secret id=ID,src=FILE` or `id=ID,env=VAR` (plus `target=PATH`), as docker build does. */
export function parseSecret(text: string, cwd: string): DockerSecret {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at);
    if (at < 0 || !['id', 'src', 'source', 'env', 'target'].includes(key) || fields.has(key)) {
      throw new UsageError(`--secret "${text}": expected id=ID,src=FILE or id=ID,env=VARIABLE (and optionally target=PATH)`);
    }
    fields.set(key === 'source' ? 'src' : key, part.slice(at + 1));
  }
  const id = fields.get('id');
  const src = fields.get('src');
  const env = fields.get('env');
  const target = fields.get('target');
  if (!id || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new UsageError(`--secret "${text}": id= names the secret (letters, digits, ".", "_", "-")`);
  if ((src === undefined) === (env === undefined)) throw new UsageError(`--secret "${text}": give one of src=FILE or env=VARIABLE`);
  if (env !== undefined && !VARIABLE.test(env)) throw new UsageError(`--secret "${text}": env= takes a variable name`);
  if (target !== undefined && !target.startsWith('/')) throw new UsageError(`--secret "${text}": target= is an absolute path`);
  return { id, ...(src ? { src: resolve(cwd, src) } : {}), ...(env ? { env } : {}), ...(target ? { target } : {}) };
}

/** mergePassThrough lays flags over an entry's kiln.yaml settings: a build arg or secret id given twice takes the flag's. */
export function mergePassThrough(entry: DockerPassThrough | undefined, flags: DockerPassThrough): DockerPassThrough {
  const secrets = new Map((entry?.secrets ?? []).map((secret) => [secret.id, secret]));
  for (const secret of flags.secrets) secrets.set(secret.id, secret);
  const network = flags.network ?? entry?.network;
  return { buildArgs: { ...entry?.buildArgs, ...flags.buildArgs }, ...(network ? { network } : {}), secrets: [...secrets.values()] };
}

/** isEmpty tells whether nothing is passed through. */
export function isEmpty(pass: DockerPassThrough): boolean {
  return !Object.keys(pass.buildArgs).length && !pass.network && !pass.secrets.length;
}

/**
 * passThroughArgs are the builder's arguments for an entry (the same for docker build and buildah bud). A secret
 * is named by its file or variable; the builder reads it, and mounts it only into the RUN steps that ask.
 */
export function passThroughArgs(plan: Pick<ImagePlan, 'docker'>): string[] {
  const pass = plan.docker;
  if (!pass) return [];
  return [
    ...Object.entries(pass.buildArgs).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
    ...(pass.network ? ['--network', pass.network] : []),
    ...pass.secrets.flatMap((secret) => ['--secret', `id=${secret.id},${secret.src ? `src=${secret.src}` : `env=${secret.env}`}`]),
  ];
}

/** checkSecrets refuses, in one line, a secret whose file is missing or whose variable is unset, before the builder runs. */
export async function checkSecrets(plan: Pick<ImagePlan, 'name' | 'docker'>, env: NodeJS.ProcessEnv): Promise<void> {
  for (const secret of plan.docker?.secrets ?? []) {
    if (secret.src) await access(secret.src).catch(() => { throw new InputError(`${plan.name}: secret "${secret.id}": cannot read ${secret.src}`); });
    if (secret.env && env[secret.env] === undefined) throw new InputError(`${plan.name}: secret "${secret.id}": $${secret.env} is not set`);
  }
}
