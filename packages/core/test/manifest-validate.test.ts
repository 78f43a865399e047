import { describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA, ManifestError, createModelSpec, parseManifest, type ModelManifest } from '../src/index.js';

function validManifest(): ModelManifest {
  const spec = createModelSpec({ kind: 'vae' });
  const io = (name: string, n: number) => ({
    name,
    shape: ['batch', n] as ('batch' | number)[],
    dtype: 'float32' as const,
  });
  return {
    schema: MANIFEST_SCHEMA,
    schemaVersion: 1,
    name: 'mnist-vae',
    kind: 'vae',
    variational: true,
    likelihood: 'bernoulli',
    gaussianSigma: 0.1,
    latentDim: 20,
    numClasses: 0,
    imageShape: [28, 28, 1],
    normalization: { scale: 1 / 255, description: 'x = pixel / 255' },
    logvarClamp: [-30, 20],
    precision: 'fp32',
    opset: 17,
    irVersion: 8,
    spec,
    graphs: {
      encoder: {
        file: 'encoder.onnx',
        sha256: 'a'.repeat(64),
        bytes: 100,
        inputs: [io('x', 784)],
        outputs: [io('mu', 20), io('logvar', 20)],
      },
      decoder: {
        file: 'decoder.onnx',
        sha256: 'b'.repeat(64),
        bytes: 100,
        inputs: [io('z', 20)],
        outputs: [io('x_logits', 784), io('x_mean', 784)],
      },
    },
    provenance: {
      dataset: 'mnist',
      epochs: 2,
      seed: 1,
      valElbo: -110.2,
      engine: 'tfjs',
      backend: 'wasm',
      commit: null,
      exportedAt: '2026-11-21T05:00:00Z',
    },
  };
}

function mutate(f: (m: Record<string, any>) => void): unknown {
  const m = structuredClone(validManifest()) as Record<string, any>;
  f(m);
  return m;
}

describe('parseManifest', () => {
  it('accepts a valid manifest and returns a copy', () => {
    const m = validManifest();
    const parsed = parseManifest(m);
    expect(parsed).toEqual(m);
    expect(parsed).not.toBe(m);
  });

  it('keeps provenance.trainedIn (where the model was trained) and rejects a malformed one', () => {
    const trainedIn = { platform: 'browser', agent: 'Mozilla/5.0 Chrome/140', device: 'onnxruntime-web wasm' };
    expect(parseManifest(mutate((m) => (m.provenance.trainedIn = trainedIn))).provenance.trainedIn).toEqual(trainedIn);
    expect(() => parseManifest(mutate((m) => (m.provenance.trainedIn = { ...trainedIn, platform: 'tab' })))).toThrow(
      /manifest\.provenance\.trainedIn\.platform: expected browser\|node, got "tab"/,
    );
    expect(() => parseManifest(mutate((m) => (m.provenance.trainedIn = { ...trainedIn, agent: '' })))).toThrow(
      /manifest\.provenance\.trainedIn\.agent: expected a non-empty string/,
    );
  });

  const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['not an object', () => undefined, /^manifest: expected an object, got "x"/],
    [
      'wrong schema',
      (m) => (m.schema = 'other'),
      /manifest\.schema: expected "vae-everywhere\/model-manifest", got "other"/,
    ],
    ['newer version', (m) => (m.schemaVersion = 2), /manifest\.schemaVersion: expected 1 \(written by a newer version/],
    ['unknown kind', (m) => (m.kind = 'gan'), /manifest\.kind: expected one of ae\|.*\|cvae\|.*, got "gan"/],
    [
      'variational mismatch',
      (m) => (m.variational = false),
      /manifest\.variational: expected true for kind vae, got false/,
    ],
    [
      'bad precision',
      (m) => (m.precision = 'int4'),
      /manifest\.precision: expected one of fp32\|fp16\|int8, got "int4"/,
    ],
    [
      'latentDim disagrees with spec',
      (m) => (m.latentDim = 8),
      /manifest\.spec\.latentDim: expected 8 \(manifest\.latentDim\), got 20/,
    ],
    ['invalid spec', (m) => (m.spec.decoder = []), /manifest\.spec: expected a valid model spec, got "spec\.decoder/],
    [
      'bad sha',
      (m) => (m.graphs.decoder.sha256 = 'XYZ'),
      /manifest\.graphs\.decoder\.sha256: expected 64 lower-case hex digits, got "XYZ"/,
    ],
    [
      'escaping file',
      (m) => (m.graphs.encoder.file = '../x.onnx'),
      /manifest\.graphs\.encoder\.file: expected a relative file name/,
    ],
    [
      'same file twice',
      (m) => (m.graphs.decoder.file = 'encoder.onnx'),
      /manifest\.graphs\.decoder\.file: expected a file other than the encoder/,
    ],
    [
      'bad dim',
      (m) => (m.graphs.encoder.inputs[0].shape = ['batch', -1]),
      /manifest\.graphs\.encoder\.inputs\[0\]\.shape\[1\]: expected an integer ≥ 1, got -1/,
    ],
    [
      'bad dtype',
      (m) => (m.graphs.encoder.outputs[1].dtype = 'float16'),
      /manifest\.graphs\.encoder\.outputs\[1\]\.dtype: expected one of float32, got "float16"/,
    ],
    [
      'duplicate output',
      (m) => (m.graphs.encoder.outputs[1].name = 'mu'),
      /manifest\.graphs\.encoder\.outputs\[1\]\.name: expected a name not used by another entry/,
    ],
    [
      'missing provenance',
      (m) => delete m.provenance,
      /manifest\.provenance: expected an object, got nothing \(missing\)/,
    ],
    [
      'bad commit',
      (m) => (m.provenance.commit = 'not a sha'),
      /manifest\.provenance\.commit: expected a hex git commit or null/,
    ],
    [
      'bad elbo',
      (m) => (m.provenance.valElbo = 'high'),
      /manifest\.provenance\.valElbo: expected a finite number, got "high"/,
    ],
    ['bad clamp', (m) => (m.logvarClamp = [20, -30]), /manifest\.logvarClamp: expected \[min, max\] with min < max/],
  ];
  for (const [label, f, re] of cases) {
    it(`rejects ${label}`, () => {
      const input = label === 'not an object' ? 'x' : mutate(f);
      let err: unknown;
      try {
        parseManifest(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as Error).message).toMatch(re);
    });
  }
});
