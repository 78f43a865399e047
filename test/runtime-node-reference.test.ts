import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeUnits, mean, setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { REFERENCE_MODEL_DIR, hasReferenceModel, mnistTestImages } from './runtime-node-fixtures.js';

describe.skipIf(!hasReferenceModel())('reference model models/mnist-vae on the cpu device', () => {
  let model: VaeModel;
  const x = mnistTestImages(64);
  beforeAll(async () => {
    setLogLevel('warn');
    model = await loadModel(REFERENCE_MODEL_DIR, { device: 'cpu' });
  });
  afterAll(async () => {
    await model?.release();
  });

  it('is the 784-400-20 Bernoulli VAE its manifest describes', () => {
    expect(model.manifest.kind).toBe('vae');
    expect(model.manifest.imageShape).toEqual([28, 28, 1]);
    expect(model.latentDim).toBe(20);
    expect(model.manifest.likelihood).toBe('bernoulli');
    expect(model.manifest.spec.encoder).toEqual([{ type: 'dense', units: 400, activation: 'relu' }]);
  });

  it.skipIf(x === null)(
    'explains real MNIST test digits: ELBO near the exported validation ELBO, IS bound above it',
    async () => {
      const images = x!;
      const elbo = mean(await model.elbo(images, { seed: 1 }));
      const ll = mean(await model.logLikelihood(images, { samples: 100, seed: 2 }));
      // A trained MLP VAE scores about −100 nats on grey-level MNIST; random weights score about −545.
      expect(elbo).toBeGreaterThan(-200);
      expect(elbo).toBeLessThan(0);
      expect(ll).toBeGreaterThan(elbo);
      const valElbo = model.manifest.provenance.valElbo;
      if (valElbo !== null) expect(Math.abs(elbo - valElbo)).toBeLessThan(30);
      const recon = await model.reconstruct(images);
      let se = 0;
      for (let i = 0; i < recon.data.length; i++) se += (recon.data[i]! - images.data[i]!) ** 2;
      expect(se / 64).toBeLessThan(40);
      expect(activeUnits(await model.embed(images)).count).toBeGreaterThan(3);
    },
  );
});
