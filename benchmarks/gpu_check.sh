#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU, from a fresh checkout (a few minutes):
# installs the project with a CUDA build of torch, trains the same MLP on the GPU in
# bf16 and on the CPU in 32-bit, checks that their metrics agree within tolerance, and
# prints training rows/s on each.
#
#   bash benchmarks/gpu_check.sh            # TORCH_INDEX picks the CUDA build if needed
#
# Only the project and torch are installed, not the test extras: a GPU box may have no
# route to the package index they come from. If it says "is this the CPU build of torch?",
# an earlier install put the CPU build there: remove the marker and pick the CUDA build,
#   rm .venv/.installed-torch
#   TORCH_INDEX=https://download.pytorch.org/whl/cu126 bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi -L || { echo "gpu_check: no NVIDIA GPU visible (nvidia-smi -L failed)" >&2; exit 1; }
make install install-torch TORCH_INDEX="${TORCH_INDEX:-}"
.venv/bin/python benchmarks/gpu_check.py
