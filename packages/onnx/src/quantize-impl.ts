/** Symmetric per-channel int8 weight quantization, pure maths. */

/** Result of {@link quantizePerChannel}: `w ≈ q · scale[channel]` (zero point 0). */
export interface PerChannelQuantized {
  readonly q: Int8Array;
  readonly scale: Float32Array;
}

/**
 * Quantizes a row-major tensor of shape `dims` to int8 with one scale per index of `axis`
 * (scale = max|w| / 127 over the channel, 1 for an all-zero channel; values rounded half away from
 * zero and clamped to [−127, 127]).
 */
export function quantizePerChannel(values: Float32Array, dims: readonly number[], axis: number): PerChannelQuantized {
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) {
    throw new RangeError(`axis: expected an integer in [0, ${dims.length - 1}], got ${axis}`);
  }
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(values[i]!);
    if (a > maxAbs[c]!) maxAbs[c] = a;
  }
  const scale = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = maxAbs[c]! > 0 ? maxAbs[c]! / 127 : 1;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const r = values[i]! / scale[channelOf(i)]!;
    q[i] = Math.max(-127, Math.min(127, Math.sign(r) * Math.round(Math.abs(r))));
  }
  return { q, scale };
}
