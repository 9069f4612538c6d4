#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Side by side: the blog model (150x150x3, batch 50) in eager PyTorch 2.6 + torchvision and in ConvViz, on the same
# machine, threads, batch and JPEGs, in one invocation. Prints img/s for both and the ratio for the training step,
# inference, and an end-to-end epoch from JPEGs with augmentation; also end-to-end vs pure-compute epoch time,
# activation extraction at layer index 5 vs a full forward, and RSS growth from epoch 2 to epoch 20.
#
#   benchmarks/compare/run.sh [--budget S] [--images N] [--workers W] [--threads T] [--out DIR] [--quick]
#
#   --budget S    seconds per timed measurement (default 10)
#   --images N    largest end-to-end epoch (default 1000 JPEGs, ~500x375); the script shrinks it when a training
#                 step is slow so that the whole run stays under 10 minutes
#   --workers W   PyTorch DataLoader workers and ConvViz dataset workers (default 1)
#   --threads T   libtorch intra-op threads in both (default 2)
#   --out DIR     where the JSON, logs and summary.md go (default artifacts/compare)
#   --quick       smoke run: budget 2 s, 100-image epoch, 3 memory epochs
#
# Both halves run inside the Debian 13 root of eng/run-with-libtorch.sh (CONVVIZ_FORCE_ROOTFS=1), so they share the
# C library, kernel view and CPU. PyTorch comes from Debian 13's python3-torch / python3-torchvision (2.6 / 0.21)
# with OpenBLAS (libopenblas0, which Debian recommends); the script installs them into the root when missing
# (needs root and network once, ~1 GB). Set CONVVIZ_COMPARE_NO_INSTALL=1 to fail instead of installing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO"
BUDGET=10 IMAGES=1000 WORKERS=1 THREADS=2 OUT="$REPO/artifacts/compare" MEM_EPOCHS=20 MEM_IMAGES=100 QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) BUDGET="$2"; shift 2 ;;
    --images) IMAGES="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --quick) QUICK=1; BUDGET=2; IMAGES=100; MEM_EPOCHS=3; MEM_IMAGES=50; shift ;;
    -h|--help) sed -n '3,23p' "$0"; exit 0 ;;
    *) echo "compare: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"
start=$(date +%s)
say() { echo "=== $* ($(( $(date +%s) - start ))s)" >&2; }

# Everything below runs inside the same Debian 13 root. Binding /sys lets libtorch's cpuinfo see the CPU topology
# (otherwise NNPACK reports "Unsupported hardware"); both engines get the same view.
export CONVVIZ_FORCE_ROOTFS=1
export CONVVIZ_EXTRA_BINDS="${CONVVIZ_EXTRA_BINDS:-/sys}"
in_root() { eng/run-with-libtorch.sh env OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" TORCH_CPP_LOG_LEVEL=ERROR "$@"; }

say "PyTorch in the Debian 13 root"
if ! in_root python3 -c 'import torch, torchvision' >/dev/null 2>&1; then
  [ "${CONVVIZ_COMPARE_NO_INSTALL:-0}" = 1 ] && { echo "compare: python3-torch/python3-torchvision are missing in the root" >&2; exit 1; }
  say "installing python3-torch python3-torchvision libopenblas0 into the root (once)"
  in_root bash -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-torch python3-torchvision libopenblas0' \
    >"$OUT/apt.log" 2>&1 || { tail -n 20 "$OUT/apt.log" >&2; exit 1; }
fi
in_root python3 -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__)' >&2

say "building ConvViz.Benchmarks (Release)"
dotnet build benchmarks/ConvViz.Benchmarks -c Release -v quiet -nologo >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; exit 1; }
BENCH=(dotnet "$REPO/benchmarks/ConvViz.Benchmarks/bin/Release/net10.0/ConvViz.Benchmarks.dll")

COMMON=(--threads "$THREADS" --batch 50 --budget "$BUDGET" --workers "$WORKERS")
say "phase 1: training step, inference, activation extraction (budget ${BUDGET}s each)"
in_root python3 benchmarks/compare/compare.py "${COMMON[@]}" --sections train,infer,activation --json "$OUT/pytorch-1.json" >/dev/null 2>"$OUT/pytorch-1.log"
in_root "${BENCH[@]}" compare "${COMMON[@]}" --sections train,infer,activation --json "$OUT/convviz-1.json" >/dev/null 2>"$OUT/convviz-1.log"

# Size phase 2 from the slower training throughput: each engine spends about 3 epochs' worth of steps
# (compute epoch, end-to-end epoch, memory epochs), so keep one epoch near 35 s.
slow=$(in_root python3 - "$OUT/pytorch-1.json" "$OUT/convviz-1.json" <<'EOF'
import json, sys
print(min(json.load(open(p))["train_step"]["img_per_s"] for p in sys.argv[1:]))
EOF
)
N=$(in_root python3 -c "import sys; s=float(sys.argv[1]); n=int(s*35)//50*50; print(max(100, min(int(sys.argv[2]), n)))" "$slow" "$IMAGES")
if [ "$QUICK" = 0 ] && in_root python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) * 30 < $MEM_IMAGES * $MEM_EPOCHS else 1)" "$slow"; then
  MEM_IMAGES=50
fi
say "slowest training: $slow img/s -> end-to-end epoch of $N JPEGs; memory: $MEM_EPOCHS epochs x $MEM_IMAGES JPEGs"

DATA="/tmp/convviz-compare-jpegs-$N"
SMALL="/tmp/convviz-compare-jpegs-$MEM_IMAGES"
in_root "${BENCH[@]}" make-jpegs "$DATA" "$N" >/dev/null
in_root "${BENCH[@]}" make-jpegs "$SMALL" "$MEM_IMAGES" >/dev/null

say "phase 2: pure-compute and end-to-end epochs, memory"
P2=(--data "$DATA" --memory-epochs "$MEM_EPOCHS" --sections epoch,memory)
in_root python3 benchmarks/compare/compare.py "${COMMON[@]}" "${P2[@]}" --small-data "$SMALL" --json "$OUT/pytorch-2.json" >/dev/null 2>"$OUT/pytorch-2.log"
in_root "${BENCH[@]}" compare "${COMMON[@]}" "${P2[@]}" --memory-data "$SMALL" --json "$OUT/convviz-2.json" >/dev/null 2>"$OUT/convviz-2.log"

for engine in pytorch convviz; do
  in_root python3 - "$OUT/$engine-1.json" "$OUT/$engine-2.json" "$OUT/$engine.json" <<'EOF'
import json, sys
merged = json.load(open(sys.argv[1]))
merged.update({k: v for k, v in json.load(open(sys.argv[2])).items() if k not in merged})
json.dump(merged, open(sys.argv[3], "w"), indent=2)
EOF
done

say "done: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
in_root python3 benchmarks/compare/summarize.py "$OUT/pytorch.json" "$OUT/convviz.json" --markdown "$OUT/summary.md"
