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

# Distributed (issue 12), with target/release/examples/data_parallel built with `--features nccl`
# (after `pip install "nvidia-cuda-crt==13.0.*" "nvidia-cuda-cccl==13.0.*"` into the venv):
# a WORLD_SIZE=1 NCCL training smoke test, then 2 Gloo ranks on CUDA tensors sharing the GPU.
dp=target/release/examples/data_parallel
if [ -x "$dp" ]; then
  echo "=== nccl world of 1"
  RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29571 FE_DIST_BACKEND=nccl FE_PROGRESS=0 \
    timeout 180 "$dp" --epochs 1 --report "$out/nccl1" 2>&1 | tail -3 | tee "$out/nccl1.txt"
  echo "=== gloo 2 ranks on cuda"
  FE_DIST_BACKEND=gloo FE_PROGRESS=0 timeout 180 "$fe" launch --nproc-per-node 2 --master-port 29572 -- \
    env LOCAL_RANK=0 "$dp" --epochs 1 --report "$out/gloo2" 2>&1 | tail -3 | tee "$out/gloo2.txt"
fi
