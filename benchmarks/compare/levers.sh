#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Measures the performance levers of docs/performance.md one at a time, each against the same baseline:
#   - libtorch intra-op threads (1 vs 2) against data workers (1 vs 2), on the end-to-end epoch and the training step;
#   - caching decoded images (ImageFolderDataset.CacheImages) on the end-to-end epoch;
#   - channels-last memory format (PyTorch only: TorchSharp 0.107 exposes no memory_format API).
#
#   benchmarks/compare/levers.sh [--images N] [--budget S] [--out DIR]
#
# Run benchmarks/compare/run.sh once first (it installs PyTorch into the root and builds the benchmarks).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO"
IMAGES=500 BUDGET=8 OUT="$REPO/artifacts/compare-levers"
while [ $# -gt 0 ]; do
  case "$1" in
    --images) IMAGES="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "levers: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
export CONVVIZ_FORCE_ROOTFS=1 CONVVIZ_EXTRA_BINDS="${CONVVIZ_EXTRA_BINDS:-/sys}"
BENCH=(dotnet "$REPO/benchmarks/ConvViz.Benchmarks/bin/Release/net10.0/ConvViz.Benchmarks.dll")
in_root() { local t="$1"; shift; eng/run-with-libtorch.sh env OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" "$@"; }
DATA="/tmp/convviz-compare-jpegs-$IMAGES"
in_root 2 "${BENCH[@]}" make-jpegs "$DATA" "$IMAGES" >/dev/null

run_cv() {  # name threads workers [extra...]
  local name="$1" t="$2" w="$3"; shift 3
  echo "=== convviz $name (threads $t, workers $w $*)" >&2
  in_root "$t" "${BENCH[@]}" compare --threads "$t" --workers "$w" --budget "$BUDGET" --sections train,epoch --data "$DATA" "$@" \
    --json "$OUT/convviz-$name.json" >/dev/null 2>"$OUT/convviz-$name.log"
}
run_py() {  # name threads workers [extra...]
  local name="$1" t="$2" w="$3"; shift 3
  echo "=== pytorch $name (threads $t, workers $w $*)" >&2
  in_root "$t" python3 benchmarks/compare/compare.py --threads "$t" --workers "$w" --budget "$BUDGET" --sections train,epoch --data "$DATA" "$@" \
    --json "$OUT/pytorch-$name.json" >/dev/null 2>"$OUT/pytorch-$name.log"
}

run_cv t2-w1 2 1
run_cv t1-w1 1 1
run_cv t2-w2 2 2
run_cv t2-w1-cache 2 1 --cache
run_py t2-w1 2 1
run_py t1-w1 1 1
run_py t2-w2 2 2
run_py t2-w1-channels-last 2 1 --channels-last

eng/run-with-libtorch.sh python3 - "$OUT" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
print(f"{'run':34} {'train img/s':>12} {'compute epoch s':>16} {'e2e epoch s':>12} {'e2e img/s':>10} {'e2e/compute':>12}")
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    r = json.load(open(path))
    name = os.path.basename(path)[:-5]
    t, c, e = r.get("train_step", {}), r.get("compute_epoch", {}), r.get("e2e_epoch", {})
    print(f"{name:34} {t.get('img_per_s', 0):12.1f} {c.get('seconds', 0):16.2f} {e.get('seconds', 0):12.2f} {e.get('img_per_s', 0):10.1f} {e.get('vs_compute', 0):12.2f}")
EOF
