const WASM_PAGE = 65536;

/** A WebAssembly instance and its exported memory, grown to hold at least the bytes asked for. */
export interface WasmInstance {
  readonly exports: WebAssembly.Exports;
  readonly memory: WebAssembly.Memory;
}

/**
 * Instantiates a module that exports `memory` (one page initially) and grows that memory to at
 * least `memoryBytes`; `null` where the platform cannot compile it (e.g. no WebAssembly SIMD), so
 * the caller falls back to JavaScript. The one instantiation path of the product's SIMD kernels.
 */
export function instantiateWasm(bytes: Uint8Array<ArrayBuffer>, memoryBytes: number): WasmInstance | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const memory = instance.exports.memory as WebAssembly.Memory;
    const pages = Math.ceil(memoryBytes / WASM_PAGE);
    const have = memory.buffer.byteLength / WASM_PAGE;
    if (pages > have) memory.grow(pages - have);
    return { exports: instance.exports, memory };
  } catch {
    return null;
  }
}
