// Registry authentication: ping /v2/ to learn the challenge, then anonymous, Basic, or the Bearer
// token flow (realm/service/scope, with refresh tokens), caching one token per set of scopes.
import { NetworkError } from '../errors.js';
import type { Credential, CredentialSource } from './credentials.js';
import { RegistryError } from './errors.js';
import { redact, rememberSecret } from '../http/redact.js';
import type { HttpResponse, Transport } from './transport.js';

/** Challenge is one parsed `WWW-Authenticate` entry. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** parseChallenges reads a `WWW-Authenticate` header (`Bearer realm="...",service="...",scope="..."`). */
export function parseChallenges(header: string | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  const text = header ?? '';
  let i = 0;
  const skip = (chars: string): void => {
    while (i < text.length && chars.includes(text[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && /[A-Za-z0-9!#$%&'*+.^_`|~-]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < text.length) {
    skip(' ,');
    const word = token();
    if (!word) break;
    skip(' ');
    if (text[i] !== '=' || !current) {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
      continue;
    }
    i++;
    skip(' ');
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        value += text[i] ?? '';
        i++;
      }
      i++;
    } else {
      value = token();
    }
    current.params[word.toLowerCase()] = value;
  }
  return challenges;
}

/** repositoryScope is the token scope for actions on one repository. */
export function repositoryScope(repository: string, actions: string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

interface TokenResponse {
  token?: string;
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

/** RegistryAuth authorizes requests to one registry; share it between clients of the same registry. */
export class RegistryAuth {
  private challenge?: Promise<Challenge | undefined>;
  private credential?: Promise<Credential | undefined>;
  private refreshToken?: string;
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    readonly registry: string,
    private readonly transport: Transport,
    private readonly credentials: CredentialSource = async () => undefined,
  ) {}

  /** hasCredentials tells whether any credential source had something for this registry. */
  async hasCredentials(): Promise<boolean> {
    return (await this.loadCredential()) !== undefined;
  }

  private loadCredential(): Promise<Credential | undefined> {
    return (this.credential ??= this.credentials(this.registry).then((found) => {
      rememberSecret(found?.password);
      rememberSecret(found?.identityToken);
      rememberSecret(found?.registryToken);
      if (found?.identityToken) this.refreshToken = found.identityToken;
      return found;
    }));
  }

  private ping(): Promise<Challenge | undefined> {
    return (this.challenge ??= (async () => {
      const url = `${this.transport.baseUrl(this.registry)}/v2/`;
      const response = await this.transport.request({ method: 'GET', url, what: `contacting registry ${this.registry}` });
      await response.dump();
      if (response.status === 401) return this.pickChallenge(response);
      if (response.status >= 200 && response.status < 300) return undefined;
      // Some registries answer /v2/ with 404 yet serve the API; treat as anonymous and let real calls tell.
      if (response.status === 404) return undefined;
      throw new RegistryError(`contacting registry ${this.registry}: HTTP ${response.status}`, response.status);
    })().catch((error: unknown) => {
      this.challenge = undefined;
      throw error;
    }));
  }

  private pickChallenge(response: HttpResponse): Challenge | undefined {
    const challenges = parseChallenges(response.header('www-authenticate'));
    return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
  }

  /** authorization is the Authorization header value for a request needing `scopes`, or undefined for anonymous. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const challenge = await this.ping();
    if (!challenge) return undefined;
    const credential = await this.loadCredential();
    if (challenge.scheme === 'basic') {
      if (!credential?.username || credential.password === undefined) return undefined;
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    if (credential?.registryToken) return `Bearer ${credential.registryToken}`;
    const key = [...new Set(scopes)].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt > Date.now()) return `Bearer ${token.value}`;
    }
    const fresh = this.fetchToken(challenge, [...new Set(scopes)].sort(), credential);
    this.tokens.set(key, fresh);
    fresh.catch(() => this.tokens.delete(key));
    return `Bearer ${(await fresh).value}`;
  }

  /** rejected is called after a 401: it learns the new challenge (perhaps a wider scope) and drops cached tokens. */
  async rejected(response: HttpResponse, scopes: string[]): Promise<string[]> {
    const challenge = this.pickChallenge(response);
    this.tokens.clear();
    if (challenge) this.challenge = Promise.resolve(challenge);
    const asked = challenge?.params.scope?.split(' ').filter(Boolean) ?? [];
    return [...new Set([...scopes, ...asked])];
  }

  private async fetchToken(challenge: Challenge, scopes: string[], credential: Credential | undefined): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new NetworkError(`registry ${this.registry} asked for a bearer token without saying where to get one`);
    const service = challenge.params.service;
    let response: HttpResponse;
    if (this.refreshToken) {
      // OAuth2 refresh grant: the long-lived token trades for an access token per scope set.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.refreshToken, client_id: 'kiln' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      response = await this.transport.request({
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: () => Buffer.from(form.toString()),
        what: `getting a token for ${this.registry}`,
      });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (credential?.username && credential.password !== undefined) {
        url.searchParams.set('account', credential.username);
        // offline_token asks for a refresh token, so later scopes need not resend the password.
        url.searchParams.set('offline_token', 'true');
        url.searchParams.set('client_id', 'kiln');
        headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      }
      response = await this.transport.request({ method: 'GET', url: url.toString(), headers, what: `getting a token for ${this.registry}` });
    }
    if (response.status === 401 || response.status === 403) {
      await response.dump();
      const who = credential ? 'credentials rejected' : 'anonymous access refused and no credentials found';
      throw new RegistryError(`authenticating to ${this.registry}: ${who} by the token server (HTTP ${response.status})`, response.status);
    }
    if (response.status !== 200) {
      await response.dump();
      throw new RegistryError(`authenticating to ${this.registry}: token server answered HTTP ${response.status}`, response.status);
    }
    let body: TokenResponse;
    try {
      body = JSON.parse((await response.buffer(1 << 20)).toString('utf8')) as TokenResponse;
    } catch {
      throw new NetworkError(`authenticating to ${this.registry}: token server sent something that is not JSON`);
    }
    const value = body.token ?? body.access_token;
    if (!value) throw new NetworkError(`authenticating to ${this.registry}: token server sent no token`);
    rememberSecret(value);
    if (body.refresh_token) {
      rememberSecret(body.refresh_token);
      this.refreshToken = body.refresh_token;
    }
    const lifetime = Math.max(body.expires_in ?? 60, 60) * 1000;
    return { value, expiresAt: Date.now() + lifetime - 10_000 };
  }

  /** describe says how this registry is being accessed, for notices (never the secret). */
  async describe(): Promise<string> {
    const credential = await this.loadCredential();
    return redact(credential?.username ? `as ${credential.username}` : credential ? 'with a token' : 'anonymously');
  }
}
