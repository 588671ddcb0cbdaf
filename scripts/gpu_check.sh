#!/usr/bin/env bash
# The device checks of `fastestimator speed` on a CUDA machine, run with binaries built
# elsewhere (target/release/fastestimator and target/release/examples/speed_*), against the
# machine's own PyTorch (`python3`). Figures go to stdout and, when $OUT is set, to files there.
#
#   scripts/gpu_check.sh
set -uo pipefail
out="${OUT:-/tmp/gpu_check}"
mkdir -p "$out"
torch_lib="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
fe=target/release/fastestimator
run() {  # name, then speed's arguments
  local name=$1; shift
  echo "=== $name: $*"
  timeout 240 "$fe" speed --device cuda "$@" 2>&1 | tee "$out/$name.txt"
}
run lenet --model lenet --rounds 3
run resnet --model resnet --rounds 3 --steps 200
run resnet9_f32 --model resnet9 --rounds 3 --steps 60 --batch-size 512
run resnet9_amp --model resnet9 --rounds 3 --steps 60 --batch-size 512 --amp
