import { afterEach, describe, expect, it } from 'vitest';
import {
  assertDeviceRequest,
  createSession,
  deviceInfo,
  listDevices,
  listRuntimes,
  registerRuntime,
  trainDevices,
  unregisterBackend,
  type BackendSession,
  type Runtime,
} from '../src/index.js';

const session = (device: string): BackendSession => ({
  device,
  inputNames: ['x'],
  outputNames: ['y'],
  inputMetadata: [],
  outputMetadata: [],
  run: async () => ({}),
  release: async () => undefined,
});

/** A runtime offering a device no other runtime knows (`npu`): the registry must not need a second list. */
const npu: Runtime = {
  name: 'test-npu',
  engine: 'a test engine',
  priority: 7,
  devices: ['npu', 'cpu'],
  deviceInfo: {
    npu: { label: 'a neural accelerator', arithmetic: 'reassociated' },
    cpu: { label: 'CPU', arithmetic: 'exact', train: 'trains here' },
  },
  createSession: async (_model, o) => {
    if (o.device === 'npu') throw new Error('no npu on this machine');
    return session(o.device);
  },
};
const broken: Runtime = {
  name: 'test-broken',
  priority: 9,
  devices: ['npu'],
  createSession: async () => {
    throw new Error('driver missing');
  },
};
const model = new Uint8Array([1]);

afterEach(() => {
  unregisterBackend(npu.name);
  unregisterBackend(broken.name);
});

describe('runtime registry', () => {
  it('makes a new device known by registering one runtime, with its info and trainable devices', () => {
    expect(() => assertDeviceRequest('npu')).not.toThrow();
    registerRuntime(npu);
    expect(listRuntimes().map((r) => r.name)).toContain('test-npu');
    expect(listDevices()).toEqual(expect.arrayContaining(['npu', 'cpu']));
    expect(deviceInfo('npu')?.arithmetic).toBe('reassociated');
    expect(trainDevices(npu)).toEqual({ cpu: 'trains here' });
    expect(() => assertDeviceRequest('tpu', 'device')).toThrow(/device: expected one of auto\|npu\|cpu, got "tpu"/);
  });

  it('tries runtimes by priority and reports every failure in one combined error', async () => {
    registerRuntime(npu);
    registerRuntime(broken);
    expect(listRuntimes().map((r) => r.name)).toEqual(['test-broken', 'test-npu']);
    await expect(createSession(model, { device: 'npu' })).rejects.toThrow(
      /device npu: no execution device could create a session:\n {2}- npu \(test-broken\): driver missing\n {2}- npu \(test-npu\): no npu on this machine/,
    );
    const auto = await createSession(model, { device: 'auto' });
    expect(auto.device).toBe('cpu');
    expect(auto.fallbacks.map((f) => `${f.backend}:${f.device}`)).toEqual(['test-broken:npu', 'test-npu:npu']);
  });

  it('rejects a runtime without a name or with auto as a device', () => {
    expect(() => registerRuntime({ ...npu, name: '' })).toThrow(/runtime: expected \{ name: string/);
    expect(() => registerRuntime({ ...npu, devices: ['auto'] })).toThrow(
      /test-npu.devices: expected device names other than auto, got "auto"/,
    );
  });
});
