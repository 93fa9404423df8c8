// Throwaway OpenPGP keys made with the real gpg, so signatures in tests are what apt repositories publish.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** GpgKey is a secret key in its own GNUPGHOME plus its exported public keyring files. */
export interface GpgKey {
  home: string;
  fingerprint: string;
  /** keyring is the binary public keyring (like /usr/share/keyrings/*.gpg). */
  keyring: string;
  /** armoredKeyring is the same public key, ASCII-armored. */
  armoredKeyring: string;
}

async function gpg(home: string, args: string[]): Promise<string> {
  const { stdout } = await run('gpg', ['--batch', '--homedir', home, '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return stdout;
}

/** createGpgKey makes a fresh ed25519 signing key in a temp GNUPGHOME and exports its public key. */
export async function createGpgKey(name = 'kiln test repository'): Promise<GpgKey> {
  const home = await mkdtemp(join(tmpdir(), 'kiln-gpg-'));
  // gpg starts an agent per GNUPGHOME; without this each test process would leave two behind.
  process.once('exit', () => {
    try {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(home, { recursive: true, force: true });
  });
  await gpg(home, ['--quick-gen-key', `${name} <test@kiln.invalid>`, 'ed25519', 'sign', 'never']);
  const listing = await gpg(home, ['--with-colons', '--list-secret-keys']);
  const fpr = listing.split('\n').find((line) => line.startsWith('fpr:'))?.split(':')[9];
  if (!fpr) throw new Error(`gpg did not report a fingerprint in ${home}`);
  const keyring = join(home, 'public.gpg');
  const armoredKeyring = join(home, 'public.asc');
  await gpg(home, ['--output', keyring, '--export', fpr]);
  await gpg(home, ['--armor', '--output', armoredKeyring, '--export', fpr]);
  return { home, fingerprint: fpr, keyring, armoredKeyring };
}

let shared: Promise<[GpgKey, GpgKey]> | undefined;

/** sharedGpgKeys gives two keys per process (the repo's and a stranger's), since key generation is the slow part. */
export function sharedGpgKeys(): Promise<[GpgKey, GpgKey]> {
  shared ??= Promise.all([createGpgKey('kiln test repository'), createGpgKey('kiln stranger')]);
  return shared;
}

/** clearsign writes `file` signed in the cleartext framework (as InRelease) to `out`. */
export async function clearsign(key: GpgKey, file: string, out: string): Promise<void> {
  await gpg(key.home, ['--yes', '--local-user', key.fingerprint, '--digest-algo', 'SHA512', '--output', out, '--clearsign', file]);
}

/** detachSign writes an armored detached signature of `file` (as Release.gpg) to `out`. */
export async function detachSign(key: GpgKey, file: string, out: string): Promise<void> {
  await gpg(key.home, ['--yes', '--local-user', key.fingerprint, '--digest-algo', 'SHA512', '--armor', '--output', out, '--detach-sign', file]);
}
