// Place strings name where an image lives, with skopeo's transport names: oci:, docker-archive:, docker://.
import { UsageError } from '../errors.js';

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
    return transport === 'oci' ? { transport, path, ...(name ? { tag: name } : {}) } : { transport, path, ...(name ? { reference: name } : {}) };
  }
  throw new UsageError(`"${text}" is not an image place: use oci:PATH[:TAG], docker-archive:PATH[:REF] or docker://REF`);
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
