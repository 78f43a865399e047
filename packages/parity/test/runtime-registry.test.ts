import { registerRuntime, unregisterBackend, type Runtime } from '@vae/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALL_RUNTIMES,
  getParityRuntime,
  listParityRuntimes,
  parseRuntimeList,
  registerParityHost,
  type OpenedRuntime,
} from '../src/index.js';

/** A runtime added the way a new one would be: one core registration that declares its parity hosts. */
const toy: Runtime = {
  name: 'toy-runtime',
  engine: 'toy engine',
  devices: ['npu'],
  deviceInfo: { npu: { label: 'toy accelerator', arithmetic: 'reassociated' } },
  parity: { prefix: 'toy', module: 'toy-package', register: 'registerToy', hosts: { node: ['npu'], toyhost: ['npu'] } },
  createSession: () => Promise.reject(new Error('not used')),
};

afterEach(() => {
  unregisterBackend(toy.name);
});

describe('parity runtime registry', () => {
  it('derives parity runtimes from every registered runtime × host × device, after the directly registered ones', () => {
    const names = listParityRuntimes().map((r) => r.name);
    expect(names.slice(0, 2)).toEqual(['tfjs-cpu', 'tfjs-wasm']);
    expect(names).toEqual(
      expect.arrayContaining([
        'ort-node-cpu',
        'ort-node-cpu@deno',
        'ort-node-cpu@bun',
        'ort-web-wasm',
        'ort-web-wasm@deno',
        'ort-web-wasm@bun',
        'ort-web-wasm@chromium',
      ]),
    );
    expect(names).not.toContain('toy-npu');
    registerRuntime(toy, 1);
    const toyNames = listParityRuntimes().filter((r) => r.name.startsWith('toy-'));
    expect(toyNames.map((r) => [r.name, r.device, r.arithmetic])).toEqual([
      ['toy-npu', 'npu', 'reassociated'],
      ['toy-npu@toyhost', 'npu', 'reassociated'],
    ]);
  });

  it('opens a derived runtime through its host, and says when the host is not registered', async () => {
    registerRuntime(toy, 1);
    await expect(getParityRuntime('toy-npu@toyhost').open({} as never)).rejects.toThrow(
      /no parity host toyhost is registered/,
    );
    const opened = { detail: 'toy' } as OpenedRuntime;
    registerParityHost('toyhost', {
      description: 'a toy host',
      open: async (_ctx, runtime, device) => ({ ...opened, detail: `${runtime.name} ${device}` }),
    });
    await expect(getParityRuntime('toy-npu@toyhost').open({} as never)).resolves.toMatchObject({
      detail: 'toy-runtime npu',
    });
    expect(getParityRuntime('toy-npu@toyhost').description).toBe('toy engine, toy accelerator, in a toy host');
  });

  it('parses --runtimes syntax, keeping all, and names unknown runtimes with the registered ones', () => {
    expect(parseRuntimeList('ort-node-cpu,ort-web-wasm@deno')).toEqual(['ort-node-cpu', 'ort-web-wasm@deno']);
    expect(parseRuntimeList(['all'])).toEqual([ALL_RUNTIMES]);
    expect(() => parseRuntimeList('a b')).toThrow(/--runtimes: expected runtime names like ort-node-cpu/);
    expect(() => getParityRuntime('ort-node-tpu', '--reference')).toThrow(
      /--reference: expected one of tfjs-cpu\|tfjs-wasm\|ort-node-cpu\|.*\|ort-web-wasm@chromium.*, got "ort-node-tpu"/,
    );
  });
});
