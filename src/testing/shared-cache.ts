// The kiln cache the e2e files share: several of them build Debian bases from the same .debs (the model servers'
// sklearn and numpy bases in model-servers, cuda, inspect and plan; bookworm's python3 in debian-base, matrix,
// multi-arch, python-project and sources; trixie in matrix, and for kiln's own image in self-image and
// workflow-argo). With one cache each .deb is downloaded, and each Debian layer assembled, once per machine rather
// than once per file. The cache is content-addressed and its writes are atomic renames (see cache/blob-store.ts),
// so test processes running at once share it safely; a memo names its inputs (the layer's packages, the image's
// pinned plan and the kiln code), so nothing stale is reused. Tests that assert what a fresh cache does (a second
// build elsewhere gives the same digest) keep their own.
import { join } from 'node:path';
import { fixturesDir } from './debootstrap-base.js';

/** sharedCacheDir is the KILN_CACHE_DIR shared by e2e files: $KILN_TEST_SHARED_CACHE, else under the fixtures dir. */
export function sharedCacheDir(): string {
  return process.env.KILN_TEST_SHARED_CACHE || join(fixturesDir(), 'kiln-cache');
}
