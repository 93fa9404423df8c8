import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { NetworkError } from '../errors.js';
import { startStallServer, type StallMode } from '../testing/stall-server.js';
import { pullImage } from './pull.js';

// The HTTP client loads undici with its first request; load it here so the test times the server, not the import.
await import('undici');

for (const mode of ['silent', 'stall-body'] as StallMode[]) {
  test(`a registry that ${mode === 'silent' ? 'accepts and never answers' : 'stalls mid-body'} fails a pull within KILN_HTTP_TIMEOUT, naming the URL`, async () => {
    const stuck = await startStallServer(mode);
    try {
      const store = new BlobStore(await mkdtemp(join(tmpdir(), 'kiln-stall-')));
      const started = Date.now();
      const why = mode === 'silent' ? 'no response within 1s' : 'response body stalled \\(nothing received within 1s\\)';
      // The ping's body is not read, so a stalled body shows on the manifest.
      const url = mode === 'silent' ? `http://${stuck.host}/v2/` : `http://${stuck.host}/v2/kiln/stuck/manifests/1`;
      await assert.rejects(pullImage(`${stuck.host}/kiln/stuck:1`, { store, env: { KILN_HTTP_TIMEOUT: '1', KILN_HTTP_RETRIES: '1' }, backoffMs: 5 }), (error: Error) => {
        assert.ok(error instanceof NetworkError);
        assert.match(error.message, new RegExp(`^[a-z ]+(registry ${stuck.host.replace(/\./g, '\\.')})?: GET ${url.replace(/\./g, '\\.')}: ${why} after 2 attempts$`));
        return true;
      });
      assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
    } finally {
      await stuck.close();
    }
  });
}
