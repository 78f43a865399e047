/** Axis permutation of a row-major array, pure maths (like numpy's `transpose(perm)`). */

/** Permutes `data` of shape `dims` so that output axis j is input axis `perm[j]`. */
export function permute(
  data: Float32Array,
  dims: readonly number[],
  perm: readonly number[],
): { data: Float32Array; dims: number[] } {
  const rank = dims.length;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new RangeError(`perm: expected a permutation of 0…${rank - 1}, got [${perm.join(', ')}]`);
  }
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= dims[i]!;
  }
  const stride = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    for (let j = rank - 1; j >= 0; j--) {
      idx[j]! += 1;
      src += stride[j]!;
      if (idx[j]! < outDims[j]!) break;
      src -= stride[j]! * outDims[j]!;
      idx[j] = 0;
    }
  }
  return { data: out, dims: outDims };
}
