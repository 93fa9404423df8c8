// Docker's config.json as a credential source: `credHelpers`, then `credsStore`, then `auths`,
// found via $DOCKER_CONFIG or ~/.docker, so `docker login` is all a user needs to have done.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { credentialFromHelper } from './credential-helper.js';
import type { Credential, CredentialSource } from './credentials.js';
import { rememberSecret } from '../http/redact.js';

const AuthEntry = z.object({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
}).loose();

/** DockerConfig is the part of config.json that says how to log in. */
const DockerConfigSchema = z.object({
  auths: z.record(z.string(), AuthEntry).optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
  credsStore: z.string().optional(),
}).loose();

/** DockerConfig is a parsed config.json. */
export type DockerConfig = z.infer<typeof DockerConfigSchema>;

/** dockerConfigPath is $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** loadDockerConfig reads a config.json; a missing file is an empty config, a malformed one an error. */
export async function loadDockerConfig(path: string): Promise<DockerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InputError(`reading ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError(`${path}: not valid JSON`);
  }
  const parsed = DockerConfigSchema.safeParse(json);
  if (!parsed.success) throw new InputError(`${path}: not a docker config file (${parsed.error.issues[0]?.path.join('.')})`);
  return parsed.data;
}

// Keys in `auths` are written as hosts or URLs ("https://index.docker.io/v1/"); compare hosts.
function configKeyRegistry(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

function lookup<T>(record: Record<string, T> | undefined, registry: string): T | undefined {
  if (!record) return undefined;
  if (record[registry] !== undefined) return record[registry];
  for (const [key, value] of Object.entries(record)) {
    if (configKeyRegistry(key) === registry) return value;
  }
  return undefined;
}

function fromAuthEntry(entry: z.infer<typeof AuthEntry> | undefined, path: string, registry: string): Credential | undefined {
  if (!entry) return undefined;
  let { username, password } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InputError(`${path}: auths entry for ${registry} has an "auth" value that is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  rememberSecret(password);
  rememberSecret(entry.identitytoken);
  rememberSecret(entry.registrytoken);
  if (entry.identitytoken) return { username, identityToken: entry.identitytoken };
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  if (username && password) return { username, password };
  return undefined;
}

/** dockerConfigCredentials is a CredentialSource over Docker's config.json and its helpers. */
export function dockerConfigCredentials(env: NodeJS.ProcessEnv = process.env, path = dockerConfigPath(env)): CredentialSource {
  let config: Promise<DockerConfig> | undefined;
  return async (registry) => {
    const loaded = await (config ??= loadDockerConfig(path));
    const helper = lookup(loaded.credHelpers, registry);
    if (helper) return credentialFromHelper(helper, registry, { env });
    if (loaded.credsStore) {
      const stored = await credentialFromHelper(loaded.credsStore, registry, { env });
      if (stored) return stored;
    }
    return fromAuthEntry(lookup(loaded.auths, registry), path, registry);
  };
}
