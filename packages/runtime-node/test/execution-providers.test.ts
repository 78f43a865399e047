import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFileNotFoundError } from '@vae/core';
import {
  NODE_DEVICES,
  SMALL_MODEL_BYTES,
  SWIFTSHADER_ICD,
  cudaProviderStatus,
  defaultThreads,
  ensureVulkanIcd,
  isSoftwareVulkan,
  nodeFileSource,
  onnxruntimeNodeBackend,
  webgpuBundled,
} from '../src/index.js';

describe('onnxruntime-node execution providers', () => {
  it('offers cuda → webgpu → cpu', () => {
    expect(NODE_DEVICES).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(onnxruntimeNodeBackend.devices).toEqual(NODE_DEVICES);
    expect(onnxruntimeNodeBackend.name).toBe('onnxruntime-node');
    expect(webgpuBundled()).toBe(true);
    expect(cudaProviderStatus().library).toMatch(/libonnxruntime_providers_cuda\.so$/);
  });

  it('points Vulkan at SwiftShader only when VK_ICD_FILENAMES is unset and the ICD exists', () => {
    const env: NodeJS.ProcessEnv = {};
    const icd = ensureVulkanIcd(env);
    if (existsSync(SWIFTSHADER_ICD)) expect(icd).toBe(SWIFTSHADER_ICD);
    else expect(icd).toBeUndefined();
    expect(env.XDG_RUNTIME_DIR).toBe(tmpdir());
    const set: NodeJS.ProcessEnv = { VK_ICD_FILENAMES: '/opt/nvidia_icd.json', XDG_RUNTIME_DIR: '/run/user/1' };
    expect(ensureVulkanIcd(set)).toBe('/opt/nvidia_icd.json');
    expect(set.XDG_RUNTIME_DIR).toBe('/run/user/1');
  });

  it('recognises CPU rasterizer Vulkan drivers', () => {
    expect(isSoftwareVulkan('/usr/lib/chromium/vk_swiftshader_icd.json')).toBe(true);
    expect(isSoftwareVulkan('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json')).toBe(true);
    expect(isSoftwareVulkan('/usr/share/vulkan/icd.d/nvidia_icd.json')).toBe(false);
    expect(isSoftwareVulkan(undefined)).toBe(false);
  });

  it('uses one intra-op thread for small graphs and the ORT default for large ones', () => {
    expect(defaultThreads(1_300_000)).toBe(1);
    expect(defaultThreads(SMALL_MODEL_BYTES + 1)).toBeUndefined();
  });

  it('rejects devices it does not offer and bytes that are not a model, naming the reason', async () => {
    await expect(onnxruntimeNodeBackend.createSession(new Uint8Array([1, 2, 3]), { device: 'wasm' })).rejects.toThrow(/device: expected one of cuda\|webgpu\|cpu for onnxruntime-node, got "wasm"/);
    await expect(onnxruntimeNodeBackend.createSession(new Uint8Array([1, 2, 3]), { device: 'cpu' })).rejects.toThrow(/protobuf|parse|model/i);
    if (!cudaProviderStatus().installed) {
      await expect(onnxruntimeNodeBackend.createSession(new Uint8Array([1, 2, 3]), { device: 'cuda' })).rejects.toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    }
  });
});

describe('nodeFileSource', () => {
  it('reads files of the directory and refuses names outside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vae-source-'));
    await writeFile(join(dir, 'manifest.json'), '{"a":1}');
    const source = nodeFileSource(dir);
    expect(source.location).toBe(dir);
    expect(new TextDecoder().decode(await source.read('manifest.json'))).toBe('{"a":1}');
    await expect(source.read('encoder.onnx')).rejects.toBeInstanceOf(ModelFileNotFoundError);
    await expect(source.read('../x')).rejects.toThrow(/file: expected a relative file name inside the model directory, got "\.\.\/x"/);
    await expect(source.read('/etc/passwd')).rejects.toThrow(/file: expected a relative file name/);
  });
});
