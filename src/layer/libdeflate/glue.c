/*
 * kiln's entry points into libdeflate's compressor, built for WebAssembly (build.sh).
 * Memory is one bump heap: compressors stay for the instance's life, and each call's input and output
 * buffers are handed out again by the next kiln_prepare. Nothing here depends on the host: the same input
 * and level give the same bytes on every machine and in every thread.
 */
#include "libdeflate.h"

int kiln_sync_flush;

extern unsigned char __heap_base;
static unsigned long heap_top = (unsigned long)&__heap_base;
static unsigned long buffers_start;
static struct libdeflate_compressor *compressors[13];
static unsigned char *input;
static unsigned char *output;
static unsigned long output_capacity;

static void *heap_alloc(size_t size) {
  unsigned long at = (heap_top + 63) & ~63UL;
  unsigned long end = at + size;
  unsigned long have = __builtin_wasm_memory_size(0) * 65536UL;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) return 0;
  heap_top = end;
  return (void *)at;
}
static void heap_free(void *pointer) { (void)pointer; }

/* The compiler lowers these to bulk-memory instructions (-mbulk-memory), so they do not call themselves. */
void *memcpy(void *dest, const void *src, size_t n) { return __builtin_memcpy(dest, src, n); }
void *memmove(void *dest, const void *src, size_t n) { return __builtin_memmove(dest, src, n); }
void *memset(void *dest, int c, size_t n) { return __builtin_memset(dest, c, n); }
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

/*
 * kiln_prepare makes room for an input of in_len bytes and returns where to copy it, or 0 when out of memory.
 * The compressor for a level is made on first use, before the buffers, so freeing the buffers keeps it.
 */
unsigned char *kiln_prepare(int level, unsigned long in_len) {
  if (level < 1 || level > 12) return 0;
  if (buffers_start) heap_top = buffers_start;
  if (!compressors[level]) {
    struct libdeflate_options options = { sizeof options, heap_alloc, heap_free };
    compressors[level] = libdeflate_alloc_compressor_ex(level, &options);
    if (!compressors[level]) return 0;
  }
  buffers_start = heap_top;
  /* The bound covers a final stream; a sync flush adds at most five bytes. */
  output_capacity = libdeflate_deflate_compress_bound(compressors[level], in_len) + 8;
  input = heap_alloc(in_len ? in_len : 1);
  output = heap_alloc(output_capacity);
  return input && output ? input : 0;
}

/* kiln_output is where kiln_deflate wrote its bytes. */
unsigned char *kiln_output(void) { return output; }

/*
 * kiln_deflate compresses the prepared input as raw deflate and returns the length written, or -1.
 * final = 0 ends in a sync flush instead of a final block, so the next call's bytes can follow; libdeflate
 * stores inputs of a few dozen bytes in a way that always ends the stream, so such inputs must be final.
 */
long kiln_deflate(int level, unsigned long in_len, int final) {
  if (!final && in_len < 64) return -1;
  kiln_sync_flush = !final;
  size_t written = libdeflate_deflate_compress(compressors[level], input, in_len, output, output_capacity);
  kiln_sync_flush = 0;
  return written ? (long)written : -1;
}
