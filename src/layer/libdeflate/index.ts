// libdeflate, compiled to WebAssembly by build.sh and embedded in wasm.ts: kiln's one deflate. Its bytes depend
// only on the input, the level and the module, never on the machine, the Node build or the thread that ran it,
// so layer and zip digests are reproducible. It is also several times faster than a JavaScript zlib port.
import { createHash } from 'node:crypto';
import { KilnError } from '../../errors.js';
import { LIBDEFLATE_VERSION, LIBDEFLATE_WASM_BASE64, LIBDEFLATE_WASM_SHA256 } from './wasm.js';

export { LIBDEFLATE_VERSION, LIBDEFLATE_WASM_SHA256 };

/**
 * DEFLATE_CALL_SOURCE calls the module's exports for one input. It is source text so that the deflate worker
 * threads (which run a plain script) and this thread run the very same function.
 * `final` false ends the output in a sync flush instead of a final block, so more deflate output can follow.
 */
export const DEFLATE_CALL_SOURCE = `function deflateCall(wasm, data, level, final) {
  const at = wasm.kiln_prepare(level, data.length);
  if (!at) throw new Error('libdeflate: no memory for ' + data.length + ' bytes at level ' + level);
  new Uint8Array(wasm.memory.buffer, at, data.length).set(data);
  const length = wasm.kiln_deflate(level, data.length, final ? 1 : 0);
  if (length < 0) throw new Error('libdeflate: could not deflate ' + data.length + ' bytes' + (final ? '' : ' without ending the stream'));
  return new Uint8Array(wasm.memory.buffer, wasm.kiln_output(), length).slice();
}`;

type DeflateCall = (wasm: WebAssembly.Exports, data: Uint8Array, level: number, final: boolean) => Uint8Array;

let compiled: WebAssembly.Module | undefined;

/** libdeflateModule compiles the embedded module once per thread, after checking it is the one build.sh made. */
export function libdeflateModule(): WebAssembly.Module {
  if (!compiled) {
    const bytes = Buffer.from(LIBDEFLATE_WASM_BASE64, 'base64');
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== LIBDEFLATE_WASM_SHA256) throw new KilnError(`libdeflate: the embedded module is damaged (sha256 ${digest})`);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

let local: { wasm: WebAssembly.Exports; call: DeflateCall } | undefined;

/** deflateRaw compresses a whole input on this thread as one raw deflate stream (a zip member, say). */
export function deflateRaw(data: Uint8Array, level: number): Buffer {
  local ??= {
    wasm: new WebAssembly.Instance(libdeflateModule(), {}).exports,
    call: new Function(`${DEFLATE_CALL_SOURCE}\nreturn deflateCall;`)() as DeflateCall,
  };
  const out = local.call(local.wasm, data, level, true);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
