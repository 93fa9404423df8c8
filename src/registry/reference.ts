// Image references as docker's reference grammar defines them: `[domain[:port]/]path[:tag][@digest]`.
import { isDigest, type Digest } from '../oci/digest.js';
import { InputError } from '../errors.js';
import { redactUrl } from '../http/redact.js';

/** DOCKER_HUB is the canonical name of Docker Hub; `index.docker.io` and bare names normalise to it. */
export const DOCKER_HUB = 'docker.io';

/** Reference names one image in one repository of one registry, by tag, digest or both. */
export interface Reference {
  /** registry is the host[:port] as written (lower-cased), `docker.io` for Docker Hub. */
  registry: string;
  /** repository is the path inside the registry, with `library/` added for Docker Hub's official images. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const MAX_NAME = 255;

function bad(text: string, why: string): InputError {
  return new InputError(`invalid image reference "${redactUrl(text)}": ${why}`);
}

// A first component is a registry only if it looks like a host: has a dot or port, or is localhost.
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

/** parseReference parses and normalises a reference; without tag or digest the tag is `latest`. */
export function parseReference(text: string): Reference {
  let rest = text.trim();
  if (rest === '') throw bad(text, 'empty');
  if (/^[^/@]*:[^/@]*@(?!sha(?:256|512):)/.test(rest)) {
    throw bad(text, 'credentials do not belong in an image reference; use docker login or username_env/password_env in kiln.yaml');
  }
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const value = rest.slice(at + 1);
    if (!isDigest(value)) throw bad(text, `"${value}" is not a sha256 or sha512 digest`);
    digest = value;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(text, `"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeRegistry(parts[0]!)) {
    registry = parts.shift()!.toLowerCase();
    if (!DOMAIN.test(registry)) throw bad(text, `"${registry}" is not a valid registry host`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      const why = part === '' ? 'empty path component' : /[A-Z]/.test(part) ? `"${part}" must be lower case` : `"${part}" is not a valid path component`;
      throw bad(text, why);
    }
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME) throw bad(text, `name longer than ${MAX_NAME} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** repositoryName is `registry/repository`, the name without tag or digest. */
export function repositoryName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** formatReference renders a reference in full, normalised form: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** pinReference returns the reference with its digest set, keeping the tag for humans. */
export function pinReference(ref: Reference, digest: Digest): Reference {
  return { ...ref, digest };
}

/** registryApiHost maps a registry name to the host that serves its API (Docker Hub's differs). */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** isLoopbackRegistry tells whether a registry host is on this machine, where plain HTTP is allowed. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** stripDockerScheme removes a leading `docker://`, the prefix kiln's image places use. */
export function stripDockerScheme(text: string): string {
  return text.startsWith('docker://') ? text.slice('docker://'.length) : text;
}
