#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# The speed table of docs/performance.md in one run (about 8 minutes on 2 cores): the blog model (150x150x3, batch 50,
# 2 libtorch threads) in five engines, side by side, each in its own process:
#   pytorch-default   PyTorch 2.6 eager as users run it: default glibc, fp32, NCHW
#   pytorch-best      PyTorch with a large glibc mmap threshold, channels_last and bf16 autocast (what an expert gets)
#   convviz-fp32      ConvViz defaults (allocator tuning, channels-last, fp32)
#   convviz-bf16      ConvViz with CompileOptions.Precision = BFloat16
#   convviz-untuned   ConvViz with CONVVIZ_TUNE_ALLOCATOR=0 and channels-first (what 0.1 did)
# Sections: training step and inference for all; end-to-end epoch from JPEGs with the blog's augmentation plus the
# pure-compute epoch for the ConvViz engines and pytorch-default. Every engine reports user and system CPU seconds.
#
#   benchmarks/compare/speed.sh [--budget S] [--images N] [--out DIR]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO"
BUDGET=8 IMAGES=1000 OUT="$REPO/artifacts/speed"
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) BUDGET="$2"; shift 2 ;;
    --images) IMAGES="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "speed: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
export CONVVIZ_FORCE_ROOTFS=1 CONVVIZ_EXTRA_BINDS="${CONVVIZ_EXTRA_BINDS:-/sys}"
in_root() { eng/run-with-libtorch.sh env OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 TORCH_CPP_LOG_LEVEL=ERROR "$@"; }
in_root python3 -c 'import torch, torchvision' 2>/dev/null || { echo "speed: PyTorch is missing in the root; run benchmarks/compare/run.sh once (it installs it)" >&2; exit 1; }
dotnet build benchmarks/ConvViz.Benchmarks -c Release -v quiet -nologo >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; exit 1; }
BENCH=(dotnet "$REPO/benchmarks/ConvViz.Benchmarks/bin/Release/net10.0/ConvViz.Benchmarks.dll")
DATA="/tmp/convviz-speed-jpegs-$IMAGES"
[ -d "$DATA" ] || in_root "${BENCH[@]}" make-jpegs "$DATA" "$IMAGES" >/dev/null
COMMON=(--threads 2 --batch 50 --budget "$BUDGET")
run() { local name="$1"; shift; echo "=== $name" >&2; "$@" --json "$OUT/$name.json" >/dev/null 2>"$OUT/$name.log" || { tail -n 20 "$OUT/$name.log" >&2; exit 1; }; }
run pytorch-default in_root python3 benchmarks/compare/compare.py "${COMMON[@]}" --workers 1 --data "$DATA" --sections train,infer,epoch
run pytorch-best in_root env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295 \
    python3 benchmarks/compare/compare.py "${COMMON[@]}" --channels-last --bf16 --sections train,infer
run convviz-fp32 in_root "${BENCH[@]}" compare "${COMMON[@]}" --workers 1 --data "$DATA" --sections train,infer,epoch
run convviz-bf16 in_root "${BENCH[@]}" compare "${COMMON[@]}" --workers 1 --data "$DATA" --sections train,infer,epoch --precision bfloat16
run convviz-untuned in_root env CONVVIZ_TUNE_ALLOCATOR=0 "${BENCH[@]}" compare "${COMMON[@]}" --sections train,infer --layout channelsfirst
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
names = ["pytorch-default", "pytorch-best", "convviz-untuned", "convviz-fp32", "convviz-bf16"]
d = {n: json.load(open(os.path.join(out, n + ".json"))) for n in names}
base = d["pytorch-default"]
def g(n, *keys):
    v = d[n]
    for k in keys:
        v = v.get(k) if isinstance(v, dict) else None
        if v is None: return None
    return v
print("| engine | train img/s | × PyTorch default | inference img/s | × | end-to-end epoch img/s | × | compute epoch img/s | e2e / compute time | system CPU share |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n in names:
    t, i = g(n, "train_step", "img_per_s"), g(n, "inference", "img_per_s")
    e, c = g(n, "e2e_epoch", "img_per_s"), g(n, "compute_epoch", "img_per_s")
    bt, bi, be = g("pytorch-default", "train_step", "img_per_s"), g("pytorch-default", "inference", "img_per_s"), g("pytorch-default", "e2e_epoch", "img_per_s")
    f = lambda x: "—" if x is None else f"{x:.0f}"
    r = lambda x, b: "—" if x is None or not b else f"{x / b:.2f}×"
    ratio = "—" if not e or not c else f"{c / e:.2f}"
    print(f"| {n} | {f(t)} | {r(t, bt)} | {f(i)} | {r(i, bi)} | {f(e)} | {r(e, be)} | {f(c)} | {ratio} | {g(n, 'cpu', 'system_share')} |")
PY
