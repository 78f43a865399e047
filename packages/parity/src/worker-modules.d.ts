/** onnxruntime-web's wasm as the precompiled module workerd hands the parity Worker (`workerd-entry.ts`). */
declare module '*/ort.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
