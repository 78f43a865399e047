/**
 * onnxruntime-node 1.30 returns every fetched output in a fresh ArrayBuffer, pre-allocated outputs
 * included: the ort engine's gradients (2.6 MB per step for the 784-400-20 VAE) land in the Adam arena
 * *and* in copies it never reads. Two things make those copies cheap (docs/BENCHMARKS.md, "Training
 * pipeline"): freeing each copy at once instead of at the worker's next garbage collection, and keeping
 * the freed memory in the allocator, where the next step's copies reuse it without page faults.
 */

/** An ArrayBuffer whose memory can be freed at once (`transfer`: Node ≥ 21, Node 20 with a flag). */
type DetachableBuffer = ArrayBuffer & { transfer?: (newLength?: number) => ArrayBuffer };

/**
 * Bytes of the block {@link keepFreedMemoryMapped} allocates and frees: just under glibc's largest
 * dynamic mmap threshold (32 MiB on 64-bit), which the free of a larger mmapped block would not set.
 */
export const ALLOCATOR_PROBE_BYTES = 31 * 1024 * 1024;

/**
 * The V8 flag that gives Node 20's isolates `ArrayBuffer.prototype.transfer` (shipped by default from
 * Node 21), or null when this isolate has it already, so a worker started from here has it too.
 */
export function detachFlag(): string | null {
  return typeof (ArrayBuffer.prototype as DetachableBuffer).transfer === 'function'
    ? null
    : '--harmony-rab-gsab-transfer';
}

/** Whether {@link releaseCopy} frees memory at once in this isolate (else the garbage collector does). */
export function freesCopiesAtOnce(): boolean {
  return detachFlag() === null;
}

/**
 * Frees the memory behind `view` now (detaching its ArrayBuffer, which must not be used afterwards),
 * where the runtime can; otherwise it is left to the garbage collector.
 */
export function releaseCopy(view: ArrayBufferView): void {
  (view.buffer as DetachableBuffer).transfer?.(0);
}

/**
 * Raises glibc's dynamic mmap and trim thresholds for the process: freeing an mmapped block sets the
 * mmap threshold to its size and the trim threshold to twice that. With the defaults the thresholds
 * settle near the size of one gradient copy (~1.25 MB), so the freed copies were trimmed from the top
 * of the worker thread's heap and every new copy faulted its pages back in (perf: ~20 % of a step in
 * `memset` and page faults). Freeing one block of {@link ALLOCATOR_PROBE_BYTES} once keeps up to twice
 * that mapped. Elsewhere (musl, macOS, Windows) this only allocates and frees one block.
 */
export function keepFreedMemoryMapped(): void {
  releaseCopy(new Uint8Array(ALLOCATOR_PROBE_BYTES));
}
