import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFileNotFoundError } from '@vae/core';
import { cudaProviderStatus } from '@vae/device-node';
import { NODE_DEVICES, nodeFileSource, onnxruntimeNodeBackend, webgpuBundled } from '../src/index.js';

describe('onnxruntime-node execution providers', () => {
  it('offers cuda → webgpu → cpu', () => {
    expect(NODE_DEVICES).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(onnxruntimeNodeBackend.devices).toEqual(NODE_DEVICES);
    expect(onnxruntimeNodeBackend.name).toBe('onnxruntime-node');
    expect(webgpuBundled()).toBe(true);
    expect(cudaProviderStatus().library).toMatch(/libonnxruntime_providers_cuda\.so$/);
  });

  it('rejects devices it does not offer and bytes that are not a model, naming the reason', async () => {
    await expect(onnxruntimeNodeBackend.createSession(new Uint8Array([1, 2, 3]), { device: 'wasm' })).rejects.toThrow(
      /device: expected one of cuda\|webgpu\|cpu for onnxruntime-node, got "wasm"/,
    );
    await expect(onnxruntimeNodeBackend.createSession(new Uint8Array([1, 2, 3]), { device: 'cpu' })).rejects.toThrow(
      /protobuf|parse|model/i,
    );
    if (!cudaProviderStatus().installed) {
      await expect(onnxruntimeNodeBackend.createSession(new Uint8Array([1, 2, 3]), { device: 'cuda' })).rejects.toThrow(
        /ONNXRUNTIME_NODE_INSTALL=cuda12/,
      );
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
    await expect(source.read('../x')).rejects.toThrow(
      /file: expected a relative file name inside the model directory, got "\.\.\/x"/,
    );
    await expect(source.read('/etc/passwd')).rejects.toThrow(/file: expected a relative file name/);
  });
});
