// bumpSource: move a source's pin to the newest commit of its ref (or to another ref) and try the series there,
// patch by patch: applies cleanly, applies by a 3-way merge, or conflicts (file, hunk). Only a series that
// applies moves the pin; the caller writes nothing otherwise.
import type { BlobStore } from '../cache/blob-store.js';
import type { SourceSpec } from '../config/schema.js';
import type { LockedSource } from '../debian/lock.js';
import type { PatchOutcome } from './apply.js';
import { fetchMirror, resolveRef } from './mirror.js';
import { seriesOf } from './sync.js';
import { trySeries } from './tree.js';

/** Bump is what moving a pin would do: from which commit to which, and how each patch applies there. */
export interface Bump {
  name: string;
  ref: string;
  from?: string;
  to: string;
  outcomes: PatchOutcome[];
  /** pin is the new kiln.lock entry, set only when every patch applies. */
  pin?: LockedSource;
}

/** bumpSource fetches the source's remote, resolves `to` (default: kiln.yaml's ref) and tries the series on it. */
export async function bumpSource(name: string, spec: SourceSpec, options: { store: BlobStore; env: NodeJS.ProcessEnv; manifestDir: string; current?: LockedSource; to?: string; log?: (line: string) => void }): Promise<Bump> {
  const ref = options.to ?? spec.ref;
  const patches = await seriesOf(spec, options.manifestDir);
  const mirror = await fetchMirror(spec.git, options);
  const to = await resolveRef(mirror, ref);
  const outcomes = await trySeries(options.store, mirror, to, spec.paths, patches);
  const applies = outcomes.every((outcome) => outcome.status !== 'conflict');
  return {
    name,
    ref,
    ...(options.current ? { from: options.current.commit } : {}),
    to,
    outcomes,
    ...(applies ? { pin: { git: spec.git, ref, commit: to, patches: patches.map(({ name: patch, sha256 }) => ({ name: patch, sha256 })) } } : {}),
  };
}
