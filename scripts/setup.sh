#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine: pnpm, the Debian packages used by
# tests (Chromium, Firefox ESR and WebKitGTK + xvfb for real-browser tests, Chromium's SwiftShader Vulkan
# driver for WebGPU without a GPU, Fashion-MNIST, redis-server for the embedding queue), and the
# workspace's npm dependencies (Deno, Bun and workerd come from npm as pinned devDependencies). Safe to
# run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version 2>/dev/null)" != 12.* ]]; then
  npm install -g pnpm@12 >/dev/null
fi

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# Firefox (Gecko, driven over WebDriver BiDi by puppeteer-core) and WebKitGTK's MiniBrowser with
# WebKitWebDriver under a virtual X server: the parity hosts and browser tests of those engines.
[ -x /usr/bin/firefox-esr ] || need+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || need+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
# Vulkan loader for Dawn (WebGPU in Node); the Vulkan driver is SwiftShader from the chromium package.
ldconfig -p 2>/dev/null | grep -q "libvulkan.so.1 " || need+=(libvulkan1)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
# Redis for the embedding work queue (BullMQ); the tests start their own server on a free port.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: optional Debian packages missing (${need[*]}); browser/WebGPU tests and parity runtimes, fashion-mnist and the Redis queue tests will be skipped." >&2
    echo "setup: install them with: sudo apt-get install -y ${need[*]}" >&2
  fi
fi

# onnxruntime-node's postinstall downloads CUDA libraries from NuGet; skip it (CPU and WebGPU are built in).
# Users with internet and CUDA 12 can run `ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm rebuild onnxruntime-node`.
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
# @tensorflow/tfjs-node(-gpu), when a developer adds them, download libtensorflow at install; offline that
# step fails (training then says it fell back). Their long download errors are filtered out here.
log=$(mktemp)
rc=0
pnpm install --frozen-lockfile --reporter=append-only >"$log" 2>&1 || rc=$?
grep -v 'tfjs-node.*install:' "$log" | tail -n 15
rm -f "$log"
if [ "$rc" -ne 0 ]; then echo "setup: pnpm install failed (exit $rc)" >&2; exit "$rc"; fi

# The direct onnxruntime binding (a small C module over onnxruntime's C API, with the Adam and input-check
# kernels; `pnpm build` builds it too). Optional: without a C compiler the ort engine uses onnxruntime-node's
# run() and says so.
node packages/device-node/scripts/build-native.mjs
