// Content digests as the OCI image spec defines them: `algorithm:hex`, sha256 only for writing.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError, InputError } from '../errors.js';

/** Digest is a string `sha256:<64 hex>` (other registered algorithms are accepted when reading). */
export type Digest = `${string}:${string}`;

const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** isDigest tells whether a string is a well-formed digest kiln can verify. */
export function isDigest(value: string): value is Digest {
  return DIGEST_PATTERN.test(value);
}

/** parseDigest checks a digest string and returns it typed; `what` names it in the error. */
export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value)) throw new InputError(`${what} "${value}" is not a valid sha256 or sha512 digest`);
  return value;
}

/** digestHex is the hex part of a digest, used as a file name in blob stores. */
export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** digestAlgorithm is the algorithm part of a digest. */
export function digestAlgorithm(digest: Digest): 'sha256' | 'sha512' {
  return digest.slice(0, digest.indexOf(':')) as 'sha256' | 'sha512';
}

/** sha256 digests a buffer or string. */
export function sha256(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * HashingStream passes bytes through unchanged while counting and hashing them, so one streaming
 * pass can both write a blob and learn its digest.
 */
export class HashingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: 'sha256' | 'sha512';
  bytes = 0;

  constructor(algorithm: 'sha256' | 'sha512' = 'sha256') {
    super();
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  private finalDigest?: Digest;

  /** digest is valid once the stream has ended. */
  digest(): Digest {
    this.finalDigest ??= `${this.algorithm}:${this.hash.digest('hex')}`;
    return this.finalDigest;
  }
}

/** verifyDigest throws an IntegrityError naming `what` when content does not match. */
export function verifyDigest(what: string, expected: Digest, actual: Digest, expectedSize?: number, actualSize?: number): void {
  if (expected !== actual) {
    throw new IntegrityError(`${what}: digest mismatch: expected ${expected}, got ${actual}`);
  }
  if (expectedSize !== undefined && actualSize !== undefined && expectedSize !== actualSize) {
    throw new IntegrityError(`${what}: size mismatch: expected ${expectedSize} bytes, got ${actualSize}`);
  }
}

/** VerifyingStream passes bytes through and fails at the end if they do not hash to `expected`. */
export class VerifyingStream extends HashingStream {
  constructor(private readonly expected: Digest, private readonly what: string) {
    super(digestAlgorithm(expected));
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.digest();
    if (actual !== this.expected) callback(new IntegrityError(`${this.what}: digest mismatch: expected ${this.expected}, got ${actual}`));
    else callback();
  }
}
