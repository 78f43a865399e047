import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { probeWebGpu } from '@vae/core';
import {
  SWIFTSHADER_ICD,
  chromiumVulkanLoader,
  cudaProviderStatus,
  disableTf32,
  ensureVulkanIcd,
  findVulkanLoader,
  installDawnWebGpu,
  isSoftwareVulkan,
  ortExecutionProviders,
  prepareOrtDevice,
  probeDawnWebGpu,
} from '../src/index.js';

describe('Vulkan environment', () => {
  it('points Vulkan at SwiftShader only when VK_ICD_FILENAMES is unset and the ICD exists', () => {
    const env: NodeJS.ProcessEnv = {};
    const icd = ensureVulkanIcd(env);
    if (existsSync(SWIFTSHADER_ICD)) expect(icd).toBe(SWIFTSHADER_ICD);
    else expect(icd).toBeUndefined();
    expect(env.XDG_RUNTIME_DIR).toBe(tmpdir());
    const set: NodeJS.ProcessEnv = { VK_ICD_FILENAMES: '/opt/nvidia_icd.json', XDG_RUNTIME_DIR: '/run/user/1' };
    expect(ensureVulkanIcd(set, '/other.json')).toBe('/opt/nvidia_icd.json');
    expect(set.XDG_RUNTIME_DIR).toBe('/run/user/1');
    expect(ensureVulkanIcd({}, '/opt/chosen_icd.json')).toBe('/opt/chosen_icd.json');
  });

  it('recognises CPU rasterizer Vulkan drivers', () => {
    expect(isSoftwareVulkan(SWIFTSHADER_ICD)).toBe(true);
    expect(isSoftwareVulkan('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json')).toBe(true);
    expect(isSoftwareVulkan('/usr/share/vulkan/icd.d/nvidia_icd.json')).toBe(false);
    expect(isSoftwareVulkan(undefined)).toBe(false);
  });
});

describe('onnxruntime-node devices', () => {
  it('turns TF32 off for CUDA unless the user chose otherwise, and prepares WebGPU the same way for every caller', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(disableTf32(env)).toBe('0');
    expect(disableTf32({ NVIDIA_TF32_OVERRIDE: '1' })).toBe('1');
    const cuda: NodeJS.ProcessEnv = {};
    prepareOrtDevice('cuda', cuda);
    expect(cuda.NVIDIA_TF32_OVERRIDE).toBe('0');
    expect(cuda.VK_ICD_FILENAMES).toBeUndefined();
    const webgpu: NodeJS.ProcessEnv = {};
    prepareOrtDevice('webgpu', webgpu);
    expect(webgpu.XDG_RUNTIME_DIR).toBe(tmpdir());
    expect(webgpu.NVIDIA_TF32_OVERRIDE).toBeUndefined();
    const cpu: NodeJS.ProcessEnv = {};
    prepareOrtDevice('cpu', cpu);
    expect(cpu).toEqual({});
  });

  it('lists the execution providers, with TF32 off on CUDA, and rejects other devices by name', () => {
    expect(ortExecutionProviders('cpu')).toEqual(['cpu']);
    expect(ortExecutionProviders('webgpu')).toEqual([{ name: 'webgpu' }]);
    expect(ortExecutionProviders('cuda')).toEqual([{ name: 'cuda', deviceId: 0, use_tf32: 0 }]);
    expect(() => ortExecutionProviders('wasm' as never)).toThrow(/device: expected cpu\|webgpu\|cuda, got "wasm"/);
  });

  it('finds the CUDA provider library next to the onnxruntime-node binding', () => {
    const status = cudaProviderStatus();
    expect(status.library).toMatch(/onnxruntime-node\/bin\/napi-v6\/.+\/libonnxruntime_providers_cuda\.so$/);
    expect(status.installed).toBe(existsSync(status.library));
  });
});

const icd = process.env.VK_ICD_FILENAMES ?? (existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined);
const loader = findVulkanLoader() ?? chromiumVulkanLoader();

describe.skipIf(!icd || !loader)('WebGPU through Dawn', () => {
  it('the out-of-process probe and the in-process one (core, after installDawnWebGpu) report the same adapter', async () => {
    const outside = await probeDawnWebGpu();
    expect(outside.available, JSON.stringify(outside)).toBe(true);
    if (!outside.available) return;
    if (isSoftwareVulkan(icd)) expect(outside.software).toBe(true);
    const setup = await installDawnWebGpu();
    expect(setup.vulkanIcd).toBe(icd);
    expect(setup.vulkanLoader).not.toBeNull();
    expect(await probeWebGpu()).toEqual(outside);
  });
});
