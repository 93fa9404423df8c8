// Index credentials: from the URL itself, KILN_INDEX_<NAME>_USERNAME/_PASSWORD, or ~/.netrc (by host).
// Every secret found is registered with redact() so it can never reach a message.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rememberSecret } from '../../http/redact.js';

/** BasicCredentials is a username and password for HTTP Basic auth. */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** CredentialSources says where to look; tests pass their own env and netrc path. */
export interface CredentialSources {
  env?: NodeJS.ProcessEnv;
  netrcPath?: string;
}

/** parseNetrc reads `machine HOST login USER password PASS` entries (and `default`), as curl and pip do. */
export function parseNetrc(text: string): Map<string, BasicCredentials> {
  const tokens = text.split(/\s+/).filter(Boolean);
  const machines = new Map<string, BasicCredentials>();
  let machine: string | undefined;
  let current: Partial<BasicCredentials> = {};
  const flush = (): void => {
    if (machine !== undefined && current.username !== undefined) machines.set(machine, { username: current.username, password: current.password ?? '' });
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === 'machine' || token === 'default') {
      flush();
      machine = token === 'default' ? '' : tokens[++i];
      current = {};
    } else if (token === 'login') current.username = tokens[++i];
    else if (token === 'password') current.password = tokens[++i];
    else if (token === 'account' || token === 'macdef') i++;
  }
  flush();
  return machines;
}

function envKey(indexName: string): string {
  return indexName.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** findCredentials returns credentials for an index URL, or undefined when none are configured. */
export function findCredentials(indexUrl: string, indexName: string | undefined, sources: CredentialSources = {}): BasicCredentials | undefined {
  const env = sources.env ?? process.env;
  const url = new URL(indexUrl);
  let found: BasicCredentials | undefined;
  if (url.username) found = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  else if (indexName && env[`KILN_INDEX_${envKey(indexName)}_USERNAME`] !== undefined) {
    found = { username: env[`KILN_INDEX_${envKey(indexName)}_USERNAME`]!, password: env[`KILN_INDEX_${envKey(indexName)}_PASSWORD`] ?? '' };
  } else {
    let text: string | undefined;
    try {
      text = readFileSync(sources.netrcPath ?? env.NETRC ?? join(homedir(), '.netrc'), 'utf8');
    } catch {
      text = undefined;
    }
    if (text) {
      const machines = parseNetrc(text);
      found = machines.get(url.hostname) ?? machines.get('');
    }
  }
  if (found) rememberSecret(found.password);
  return found;
}

/** stripCredentials removes userinfo from a URL, for requests and messages. */
export function stripCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** authorizationHeader is the Basic header value for credentials. */
export function authorizationHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
