#!/usr/bin/env bash
# `pnpm device:dry-run`: builds the GPU check bundle and runs its device-check.sh here, on the CPU, so
# that the bundle is known to work before it meets a GPU (issue 30). SwiftShader's Vulkan ICD (Debian's
# chromium package) stands in for NVIDIA's driver, PyTorch runs on the CPU (/usr/bin/python3 with
# Debian's python3-torch; without it the PyTorch rows say skipped and why), and DEVICE_CHECK_SCALE=dry
# trains on a few hundred images. SwiftShader is not a GPU: its timings say nothing about one.
#
# Environment: DEVICE_BUNDLE_DIR (default .device-dry; the payload is a plain tar unless
# DEVICE_BUNDLE_COMPRESS=xz), DEVICE_DRY_RUN_REUSE=1 runs an existing bundle without building it (e.g.
# DEVICE_BUNDLE_DIR=.device for the real, compressed one), OUT (default device-out).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEVICE_BUNDLE_DIR=${DEVICE_BUNDLE_DIR:-.device-dry}
export DEVICE_BUNDLE_COMPRESS=${DEVICE_BUNDLE_COMPRESS:-none}
export DEVICE_BUNDLE_DEBS=${DEVICE_BUNDLE_DEBS:-optional}
icd=/usr/lib/chromium/vk_swiftshader_icd.json
[ -f "$icd" ] || { echo "device:dry-run: expected SwiftShader's Vulkan ICD $icd (apt-get install chromium)" >&2; exit 1; }
[ "${DEVICE_DRY_RUN_REUSE:-0}" = 1 ] || bash scripts/device-bundle.sh
out=$(mkdir -p "${OUT:-device-out}" && cd "${OUT:-device-out}" && pwd)
vulkan=auto
ls "$DEVICE_BUNDLE_DIR"/debs/libvulkan1_*.deb >/dev/null 2>&1 && vulkan=bundled
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
cd "$DEVICE_BUNDLE_DIR"
OUT=$out VK_ICD_FILENAMES=$icd DEVICE_CHECK_SCALE=dry DEVICE_CHECK_VULKAN=$vulkan DEVICE_CHECK_PYTHON=$python \
  DEVICE_CHECK_TORCH_DEVICE=cpu bash device-check.sh
