#!/usr/bin/env node
// Builds the direct onnxruntime binding (native/ort-direct.c) into
// dist/native/ort-direct-<platform>-<arch>.node with the system's C compiler (`CC`, default `cc`)
// and Node's own headers. Optional: without a compiler or headers it says so and exits 0; the ort
// engine then uses onnxruntime-node's run() (it logs which) and the API's input check WebAssembly.
// `--require` exits 1 instead (CI).
// Skips the build when the module is newer than its source.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'ort-direct.c');
const target = join(root, 'dist', 'native', `ort-direct-${process.platform}-${process.arch}.node`);
const required = process.argv.includes('--require');

function skip(reason) {
  const message = `build-native: ${reason}; the ort engine will use onnxruntime-node's run() instead of the direct binding, the input check WebAssembly`;
  if (required) {
    console.error(message);
    process.exit(1);
  }
  console.log(message);
  process.exit(0);
}

if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
if (process.platform !== 'linux' && process.platform !== 'darwin')
  skip(`no build recipe for ${process.platform} (linux and darwin only)`);
const prefix = dirname(dirname(process.execPath));
const includes = [join(prefix, 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
const include = includes.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) skip(`Node's headers (node_api.h) not found in ${includes.join(', ')}`);
const cc = process.env.CC || 'cc';
// -O3 vectorises the Adam loop; -fno-math-errno lets sqrtf vectorise; no FMA contraction keeps the
// update bit-identical to the WebAssembly kernel.
const flags = [
  '-std=c99',
  '-D_GNU_SOURCE',
  '-O3',
  '-fno-math-errno',
  '-ffp-contract=off',
  '-fPIC',
  '-Wall',
  '-Wextra',
  `-I${include}`,
];
const link =
  process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-ldl', '-lpthread', '-lm'];
mkdirSync(dirname(target), { recursive: true });
const partial = `${target}.${process.pid}.tmp`;
try {
  execFileSync(cc, [...flags, source, '-o', partial, ...link], { stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(partial, target);
} catch (err) {
  rmSync(partial, { force: true });
  skip(`${cc} failed (${err.code === 'ENOENT' ? 'not installed' : `exit ${err.status}`})`);
}
console.log(`build-native: ${target}`);
