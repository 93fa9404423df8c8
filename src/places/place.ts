// Place strings name where an image lives, with skopeo's transport names: oci:, docker-archive:, docker://.
import { KilnError, UsageError } from '../errors.js';
import { parseReference } from '../registry/reference.js';

/** Place is a parsed image location. */
export type Place =
  | { transport: 'oci'; path: string; tag?: string }
  | { transport: 'docker-archive'; path: string; reference?: string }
  | { transport: 'docker'; reference: string };

/** parsePlace reads `oci:PATH[:TAG]`, `docker-archive:PATH[:REF]` or `docker://REF`. */
export function parsePlace(text: string): Place {
  if (text.startsWith('docker://')) {
    const reference = text.slice('docker://'.length);
    if (!reference) throw new UsageError(`"${text}": docker:// needs an image reference`);
    return { transport: 'docker', reference };
  }
  const colon = text.indexOf(':');
  const transport = colon < 0 ? '' : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (transport === 'oci' || transport === 'docker-archive') {
    // Like skopeo, the path ends at the first colon; what follows names the image inside.
    const split = rest.indexOf(':');
    const path = split < 0 ? rest : rest.slice(0, split);
    const name = split < 0 ? undefined : rest.slice(split + 1);
    if (!path) throw new UsageError(`"${text}": ${transport}: needs a path`);
    if (name === '') throw new UsageError(`"${text}": empty name after the path`);
    if (name !== undefined) checkName(text, transport, name);
    return transport === 'oci' ? { transport, path, ...(name ? { tag: name } : {}) } : { transport, path, ...(name ? { reference: name } : {}) };
  }
  throw new UsageError(`"${text}" is not an image place: use oci:PATH[:TAG], docker-archive:PATH[:REF] or docker://REF`);
}

// The OCI image spec's grammar for org.opencontainers.image.ref.name, the tag of an image in a layout.
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** isOciRefName tells whether `name` fits the OCI layout tag grammar (org.opencontainers.image.ref.name). */
export function isOciRefName(name: string): boolean {
  return REF_NAME.test(name);
}

/**
 * checkDockerArchiveName throws a UsageError unless `name` is a docker `name[:tag]` (no digest): what
 * `docker load` puts in its RepoTags and other tools parse back.
 */
export function checkDockerArchiveName(name: string, where = name): void {
  try {
    parseReference(name);
  } catch (error) {
    throw new UsageError(`"${where}": ${error instanceof KilnError ? error.message : String(error)}`);
  }
  if (name.includes('@')) throw new UsageError(`"${where}": a docker-archive names its image by name[:tag], not by digest`);
}

// Checked when the place is parsed, so a bad name fails before anything is built or written.
function checkName(text: string, transport: 'oci' | 'docker-archive', name: string): void {
  if (transport === 'docker-archive') return checkDockerArchiveName(name, text);
  if (!isOciRefName(name)) {
    throw new UsageError(`"${text}": "${name}" is not a valid OCI layout tag (letters and digits, joined by one of - . _ : @ + or --, parts separated by /)`);
  }
}

/** formatPlace is the inverse of parsePlace. */
export function formatPlace(place: Place): string {
  switch (place.transport) {
    case 'oci':
      return `oci:${place.path}${place.tag ? `:${place.tag}` : ''}`;
    case 'docker-archive':
      return `docker-archive:${place.path}${place.reference ? `:${place.reference}` : ''}`;
    case 'docker':
      return `docker://${place.reference}`;
  }
}
