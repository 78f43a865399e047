/** Module types of the Worker's bundled files (wrangler's CompiledWasm and Data rules). */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}
declare module '*/manifest.json' {
  const manifest: Record<string, unknown>;
  export default manifest;
}
