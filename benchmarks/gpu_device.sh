#!/bin/sh
# The one prepared script run on a lent GPU machine (the device tool): the image's own
# python3 (JAX with CUDA) and this checkout on PYTHONPATH; results land in $OUT.
set -u
export PYTHONPATH="$PWD:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia-smi.txt" 2>&1
python3 -c "import jax, flax, optax; print(jax.__version__, flax.__version__, optax.__version__, jax.devices())" 2>&1 | tee "$OUT/versions.txt"
timeout "${GPU_BENCH_SECONDS:-480}" python3 benchmarks/gpu.py --jsonl "$OUT/gpu_rows.jsonl" --out "$OUT/gpu.json" "$@"
