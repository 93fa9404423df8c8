// The backend registry: names -> implementations, loaded on demand.
import { UsageError } from '../errors.js';
import type { Backend, BackendName } from './types.js';

export type { Backend, BackendContext, BackendName, BackendResult } from './types.js';

/** backends maps every BackendName to its module. */
export const backends: Record<BackendName, () => Promise<Backend>> = {
  native: async () => (await import('./native.js')).native,
  docker: async () => (await import('./docker.js')).docker,
  buildah: async () => (await import('./buildah.js')).buildah,
  kaniko: async () => (await import('./kaniko.js')).kaniko,
};

/** loadBackend returns the backend called `name`, or a UsageError listing the names. */
export async function loadBackend(name: string): Promise<Backend> {
  const load = (backends as Record<string, (() => Promise<Backend>) | undefined>)[name];
  if (!load) throw new UsageError(`unknown backend "${name}": use ${Object.keys(backends).join(', ')}`);
  return load();
}
