import { describe, expect, it } from 'vitest';
import {
  CONV_PRESETS,
  convPresetFor,
  createModelSpec,
  listParameters,
  listTrainableParameters,
  validateModelSpec,
  type LayerSpec,
} from '../src/index.js';

const count = (list: readonly { shape: readonly number[] }[]): number =>
  list.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);

/** `type:filters|units:activation` of each layer, compactly. */
const outline = (layers: readonly LayerSpec[]): string[] =>
  layers.map((l) => {
    const o = l as { filters?: number; units?: number; kernelSize?: number; strides?: number; activation?: string };
    const size = o.filters ?? o.units ?? '';
    const kernel = o.kernelSize ? `k${o.kernelSize}s${o.strides}` : '';
    return [l.type, size, kernel, o.activation ?? ''].filter((p) => p !== '').join(':');
  });

describe('conv presets by image size', () => {
  it('28×28×1 keeps the small conv network (ReLU, no norm, latent 20), as before', () => {
    const spec = createModelSpec({ architecture: 'conv' });
    expect(convPresetFor([28, 28, 1])).toBe('conv-small');
    expect(spec.latentDim).toBe(20);
    expect(outline(spec.encoder)).toEqual([
      'reshape',
      'conv2d:32:k4s2:relu',
      'conv2d:64:k4s2:relu',
      'flatten',
      'dense:256:relu',
    ]);
    expect(spec.decoder.some((l) => l.type === 'batch-norm')).toBe(false);
    expect(convPresetFor([16, 16, 3])).toBe('conv-small');
    expect(convPresetFor([64, 32, 3])).toBe('conv-small');
  });

  it("64×64×3 is PyTorch-VAE's VanillaVAE: conv 32…512 + batch norm + LeakyReLU, linear decoder_input, final conv to 3 channels", () => {
    const spec = createModelSpec({ architecture: 'conv', imageShape: [64, 64, 3] });
    expect(convPresetFor([64, 64, 3])).toBe('vanilla-64');
    expect(spec.latentDim).toBe(128);
    const stage = (type: string, f: number): string[] => [`${type}:${f}:k3s2:linear`, 'batch-norm:leaky-relu'];
    expect(outline(spec.encoder)).toEqual([
      'reshape',
      ...[32, 64, 128, 256, 512].flatMap((f) => stage('conv2d', f)),
      'flatten',
    ]);
    expect(outline(spec.decoder)).toEqual([
      'dense:2048:linear',
      'reshape',
      ...[256, 128, 64, 32, 32].flatMap((f) => stage('conv2d-transpose', f)),
      'conv2d:3:k3s1:linear',
      'flatten',
    ]);
    const layout = validateModelSpec(spec);
    expect(layout.encoder.find((l) => l.layer.type === 'flatten')!.outputShape).toEqual([2048]);
    expect(layout.decoder.at(-2)!.outputShape).toEqual([64, 64, 3]);
    // PyTorch's VanillaVAE(3, 128) has 3,937,635 parameters; its 1,504 conv biases in front of a
    // batch norm are dropped here (β replaces them).
    expect(count(listTrainableParameters(spec))).toBe(3_937_635 - 1_504);
    expect(count(listParameters(spec)) - count(listTrainableParameters(spec))).toBe(2 * (992 + 512));
  });

  it('32×32×C is the 4-stage VanillaVAE (conv 32…256) for any C; options override the preset defaults', () => {
    const colour = createModelSpec({ architecture: 'conv', imageShape: [32, 32, 3] });
    expect(convPresetFor([32, 32, 1])).toBe('vanilla-32');
    expect(outline(colour.encoder).filter((l) => l.startsWith('conv2d'))).toEqual(
      [32, 64, 128, 256].map((f) => `conv2d:${f}:k3s2:linear`),
    );
    expect(count(listTrainableParameters(colour))).toBe(1_181_059);
    const plain = createModelSpec({ architecture: 'conv', imageShape: [32, 32, 1], norm: 'none', latentDim: 16 });
    expect(plain.latentDim).toBe(16);
    expect(plain.encoder.some((l) => l.type === 'batch-norm')).toBe(false);
    expect(outline(plain.decoder).at(-2)).toBe('conv2d:1:k3s1:linear');
  });

  it('convPreset asks for a preset by name, checked against the image size', () => {
    const small = createModelSpec({ architecture: 'conv', imageShape: [64, 64, 1], convPreset: 'conv-small' });
    expect(outline(small.encoder).slice(1, 3)).toEqual(['conv2d:32:k4s2:relu', 'conv2d:64:k4s2:relu']);
    expect(small.latentDim).toBe(20);
    expect(convPresetFor([64, 64, 1], 'conv-small')).toBe('conv-small');
    expect(() => createModelSpec({ architecture: 'conv', convPreset: 'vanilla-64' })).toThrow(
      'convPreset: expected images of 64 high × 64 wide for vanilla-64, got 28 high × 28 wide × 1 channel',
    );
    expect(() => createModelSpec({ architecture: 'conv', imageShape: [30, 28, 3], convPreset: 'conv-small' })).toThrow(
      'convPreset: expected a height and width divisible by 4 for conv-small, got 30 high × 28 wide × 3 channels',
    );
    expect(() => convPresetFor([64, 64, 3], 'vanilla-128' as 'vanilla-64')).toThrow(
      'convPreset: expected auto or one of conv-small|vanilla-32|vanilla-64, got "vanilla-128"',
    );
  });

  it('names the supported sizes for any other', () => {
    expect(Object.keys(CONV_PRESETS)).toEqual(['conv-small', 'vanilla-32', 'vanilla-64']);
    expect(() => createModelSpec({ architecture: 'conv', imageShape: [28, 30, 3] })).toThrow(
      "imageShape: expected 32 high × 32 wide, 64 high × 64 wide (PyTorch-VAE's VanillaVAE) or a height and width divisible by 4 (the small conv network) for the conv architecture, got 28 high × 30 wide × 3 channels",
    );
  });
});
