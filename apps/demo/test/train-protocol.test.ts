import { trainDevices } from '@vae/core';
import { WEB_RUNTIME_INFO } from '@vae/runtime-web/backend';
import { describe, expect, it } from 'vitest';
import { loadOrtBuild } from '../src/ort-build.js';
import type { SiteManifest } from '../src/site-types.js';
import { TRAIN_PAGE_DEVICES, assertTrainDevice } from '../src/train-protocol.js';

describe("the training page's devices", () => {
  it("are auto, then runtime-web's train devices in auto order (derived, not a second list)", () => {
    expect(TRAIN_PAGE_DEVICES).toEqual(['auto', ...Object.keys(trainDevices(WEB_RUNTIME_INFO))]);
    expect(TRAIN_PAGE_DEVICES).toEqual(['auto', 'webgpu', 'wasm']);
    expect(Object.isFrozen(TRAIN_PAGE_DEVICES)).toBe(true);
  });

  it('rejects anything else naming the argument, the expected devices and the actual value', () => {
    for (const d of TRAIN_PAGE_DEVICES) expect(() => assertTrainDevice(d)).not.toThrow();
    expect(() => assertTrainDevice('cuda')).toThrow(
      new RangeError('device: expected one of auto|webgpu|wasm, got "cuda"'),
    );
    expect(() => assertTrainDevice(undefined, 'settings.device')).toThrow(
      'settings.device: expected one of auto|webgpu|wasm, got undefined',
    );
  });
});

describe('loadOrtBuild', () => {
  it('refuses a device without an onnxruntime-web build, naming those with one, before loading anything', async () => {
    const site = { runtime: {} } as unknown as SiteManifest;
    await expect(loadOrtBuild(site, new URL('http://127.0.0.1/'), 'cuda', () => {})).rejects.toThrow(
      new RangeError('device: expected one of webgpu|wasm, got "cuda"'),
    );
  });
});
