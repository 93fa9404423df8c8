// Credentials for one registry, wherever they came from; a CredentialSource finds them by registry name.

/** Credential is what a registry login needs: a username and password, or a token. */
export interface Credential {
  username?: string;
  password?: string;
  /** identityToken is an OAuth2 refresh token (Docker's `identitytoken`, or a helper's `<token>` user). */
  identityToken?: string;
  /** registryToken is a bearer token used as is (Docker's `registrytoken`). */
  registryToken?: string;
}

/** CredentialSource returns credentials for a registry (`host[:port]`, `docker.io` for Docker Hub), or undefined. */
export type CredentialSource = (registry: string) => Promise<Credential | undefined>;

/** EnvCredentialNames names the environment variables that hold a registry's username and password (from kiln.yaml). */
export interface EnvCredentialNames {
  username: string;
  password: string;
}

/** envCredential reads a username and password from the named environment variables; undefined if either is unset. */
export function envCredential(names: EnvCredentialNames, env: NodeJS.ProcessEnv = process.env): Credential | undefined {
  const username = env[names.username];
  const password = env[names.password];
  if (!username || !password) return undefined;
  return { username, password };
}

/** chainCredentials asks each source in turn and returns the first answer. */
export function chainCredentials(...sources: CredentialSource[]): CredentialSource {
  return async (registry) => {
    for (const source of sources) {
      const found = await source(registry);
      if (found) return found;
    }
    return undefined;
  };
}

/** staticCredentials serves fixed credentials for named registries (tests, programmatic use). */
export function staticCredentials(byRegistry: Record<string, Credential>): CredentialSource {
  return async (registry) => byRegistry[registry];
}
