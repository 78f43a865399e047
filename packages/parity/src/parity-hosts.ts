/**
 * The hosts `vae parity` launches registered runtimes in, and the runtimes of this repository
 * registered with core. A runtime lists the hosts it runs under (`Runtime.parity.hosts`); a new host
 * is one `registerParityHost` call.
 */
import { registerNodeBackend } from '@vae/runtime-node';
import { registerNodeWebBackend } from '@vae/runtime-web/node';
import { openBrowserGraphs, openBrowserSession } from './browser-harness.js';
import { BROWSER_DRIVERS } from './browser-drivers.js';
import { childHost } from './child-host.js';
import { backendGraphEngine } from './graph-engine.js';
import { registerParityHost } from './runtime-registry.js';
import { openVaeModel } from './vae-model-runtime.js';
import { wireRuntime } from './wire-runtime.js';
import { WORKERD_HOST } from './workerd-host.js';

registerNodeBackend();
registerNodeWebBackend();

registerParityHost('node', {
  description: 'this Node process',
  open: (ctx, runtime, device) => openVaeModel(ctx, runtime, device),
  openGraphs: async (runtime, device, o) => backendGraphEngine(runtime, device, o),
});

/** Deno's permissions for onnxruntime-node (its native binding) and the model files. */
export const DENO_ARGS: readonly string[] = Object.freeze([
  'run',
  '--allow-read',
  '--allow-env',
  '--allow-ffi',
  '--no-prompt',
  '--sloppy-imports',
]);

registerParityHost(
  'deno',
  childHost({
    executable: 'deno',
    args: DENO_ARGS,
    install: 'npm i -D deno, or put deno on PATH',
    description: `a Deno child process (deno ${DENO_ARGS.join(' ')})`,
  }),
);
registerParityHost(
  'bun',
  childHost({
    executable: 'bun',
    args: ['run'],
    install: 'npm i -D bun, or put bun on PATH',
    description: 'a Bun child process',
  }),
);

for (const [name, driver] of Object.entries(BROWSER_DRIVERS)) {
  registerParityHost(name, {
    description: `${name} (the parity page on @vae/runtime-web)`,
    async open(ctx, runtime, device) {
      if (runtime.name !== 'onnxruntime-web')
        throw new Error(`the ${name} host runs onnxruntime-web, not ${runtime.name}`);
      return wireRuntime(await openBrowserSession(ctx.modelDir, device, driver), ctx);
    },
    async openGraphs(runtime, device) {
      if (runtime.name !== 'onnxruntime-web')
        throw new Error(`the ${name} host runs onnxruntime-web, not ${runtime.name}`);
      return openBrowserGraphs(device, driver);
    },
  });
}
registerParityHost('workerd', WORKERD_HOST);
