#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Before/after speed of the blog model (150x150x3, batch 50, 2 libtorch threads) between two versions of ConvViz, in
# one run on one machine: the training step (Model.Fit on an in-memory batch) and the end-to-end epoch from JPEGs with
# the blog's augmentation (plus, because the same section measures it first, the pure-compute epoch). Each version is
# checked out into its own temporary git worktree under /tmp and built there (benchmarks/ConvViz.Benchmarks, Release),
# so two independent binaries exist; then their `compare --sections train,epoch` runs alternate (before, after,
# before, after, ...), each run its own process in the Debian 13 root of eng/run-with-libtorch.sh, on the same JPEGs.
# Prints and writes summary.md (medians, every value, after/before ratio with a bootstrap interval and the per-round
# ratios) and results.json (every run's JSON, load average and CPU steal) to the output folder.
#
#   benchmarks/compare/before-after.sh BASE_REF [HEAD_REF] [options]
#
#   BASE_REF          the "before" commit (any git revision: main, HEAD~1, a sha, a tag)
#   HEAD_REF          the "after" commit; default: the working tree of the checkout this script runs from, as it is
#                     now, uncommitted and untracked (not ignored) files included (snapshotted into a worktree)
#   --rounds N        before/after pairs (default 5, at least 3)
#   --budget S        seconds of timed training steps per run (default 8)
#   --images N        JPEGs in the end-to-end epoch (default 1000, ~500x375, generated once under /tmp)
#   --workers W       ImageFolderDataset workers (default 1)
#   --threads T       libtorch intra-op threads (default 2)
#   --order abab|abba abab: before first in every round (default); abba: the side that starts alternates per round
#   --max-minutes M   stop adding rounds (never below 3) when the next one would end after M minutes (default 12)
#   --tolerance P     the band of the verdict column, in percent (default 3)
#   --settle S        before each run, wait up to S seconds for other processes to use under 1/4 of the CPUs (default 10)
#   --out DIR         where summary.md, results.json, raw/ and logs/ go (default artifacts/before-after)
#   --keep            keep the temporary worktrees (their paths are printed)
#   --quick           smoke run: 3 rounds, budget 3 s, 200-image epoch (about 3 minutes with the builds)
#
# Defaults take about 8 minutes on an idle 2-vCPU machine (two builds from scratch, ~1 min each, then ~65 s per
# round); on a busy one runs are several times slower and --max-minutes stops only after the 3 minimum rounds.
# Needs root for the Debian 13 root (sudo is used when available and the script is not run as root). Set
# CONVVIZ_FORCE_ROOTFS=0 to run on the host when its libstdc++ is new enough (the default follows speed.sh: root).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO"
usage() { sed -n '3,33p' "$0" | sed 's/^# \{0,1\}//'; }

ROUNDS=5 BUDGET=8 IMAGES=1000 WORKERS=1 THREADS=2 ORDER=abab MAX_MINUTES=12 TOLERANCE=3 SETTLE=10 OUT="$REPO/artifacts/before-after" KEEP=0
REFS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --images) IMAGES="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --order) ORDER="$2"; shift 2 ;;
    --max-minutes) MAX_MINUTES="$2"; shift 2 ;;
    --tolerance) TOLERANCE="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --quick) ROUNDS=3; BUDGET=3; IMAGES=200; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "before-after: unknown option $1" >&2; exit 2 ;;
    *) REFS+=("$1"); shift ;;
  esac
done
[ ${#REFS[@]} -ge 1 ] && [ ${#REFS[@]} -le 2 ] || { usage >&2; exit 2; }
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 3 ] || { echo "before-after: --rounds must be at least 3" >&2; exit 2; }
[[ "$IMAGES" =~ ^[0-9]+$ ]] && [ "$IMAGES" -ge 50 ] || { echo "before-after: --images must be at least 50 (one batch)" >&2; exit 2; }
case "$ORDER" in abab|abba) ;; *) echo "before-after: --order is abab or abba" >&2; exit 2 ;; esac

PY="$(command -v python3 || true)"
[ -n "$PY" ] || { echo "before-after: python3 is needed on the host for the summary" >&2; exit 1; }

# Each side's worktree and build take about 0.6 GB (libtorch is copied next to each binary).
free_mb=$(df -Pm /tmp | awk 'NR == 2 { print $4 }')
[ "$free_mb" -ge 2048 ] || { echo "before-after: /tmp has ${free_mb} MB free; the two worktrees and builds need about 1.3 GB (2 GB asked)" >&2; exit 1; }

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"
rm -rf "$OUT/raw" "$OUT/logs"
mkdir -p "$OUT/raw" "$OUT/logs"
start=$(date +%s)
say() { echo "=== $* ($(( $(date +%s) - start ))s)" >&2; }

# ---- the two versions, each in its own worktree --------------------------------------------------------------------
WT="$(mktemp -d /tmp/convviz-before-after.XXXXXX)"
# Long steps run as a background child that the script waits for, so Ctrl-C / TERM stop them at once: the trap ends
# that child (a build: its whole process group, started by setsid) and removes the worktrees.
CHILD="" CHILD_GROUP=0
run_child() {
  local rc=0
  if [ "$1" = --group ]; then shift; CHILD_GROUP=1; setsid "$@" & else CHILD_GROUP=0; "$@" & fi
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return $rc
}
cleanup() {
  local rc=$?
  if [ -n "$CHILD" ]; then
    if [ "$CHILD_GROUP" = 1 ]; then kill -TERM -- "-$CHILD" 2>/dev/null || true; else kill -TERM "$CHILD" 2>/dev/null || true; fi
    wait "$CHILD" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then
    echo "before-after: worktrees kept in $WT (remove with: git worktree remove --force $WT/before; git worktree remove --force $WT/after)" >&2
  else
    for side in before after; do
      [ -d "$WT/$side" ] && git -C "$REPO" worktree remove --force "$WT/$side" >/dev/null 2>&1 || true
    done
    rm -rf "$WT"
    git -C "$REPO" worktree prune >/dev/null 2>&1 || true
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

describe() { local s; s="$(git -C "$REPO" log -1 --format='%h %s' "$1")"; [ ${#s} -le 80 ] || s="${s:0:79}…"; echo "$s"; }

BASE_SHA="$(git -C "$REPO" rev-parse --verify --quiet "${REFS[0]}^{commit}")" || { echo "before-after: unknown revision ${REFS[0]}" >&2; exit 2; }
BEFORE_LABEL="${REFS[0]} = $(describe "$BASE_SHA")"
if [ ${#REFS[@]} -eq 2 ]; then
  HEAD_SHA="$(git -C "$REPO" rev-parse --verify --quiet "${REFS[1]}^{commit}")" || { echo "before-after: unknown revision ${REFS[1]}" >&2; exit 2; }
  AFTER_LABEL="${REFS[1]} = $(describe "$HEAD_SHA")"
else
  # Snapshot the working tree (tracked changes and untracked, non-ignored files) into a dangling commit, so the
  # "after" side is built from scratch like the "before" side and later edits in the checkout cannot reach it.
  index="$WT/snapshot.index"
  GIT_INDEX_FILE="$index" git -C "$REPO" read-tree HEAD
  GIT_INDEX_FILE="$index" git -C "$REPO" add -A
  tree="$(GIT_INDEX_FILE="$index" git -C "$REPO" write-tree)"
  rm -f "$index"
  if [ "$tree" = "$(git -C "$REPO" rev-parse 'HEAD^{tree}')" ]; then
    HEAD_SHA="$(git -C "$REPO" rev-parse HEAD)"
    AFTER_LABEL="working tree of $REPO (clean) = $(describe "$HEAD_SHA")"
  else
    changed="$(git -C "$REPO" diff --name-only HEAD "$tree" | wc -l)"
    HEAD_SHA="$(git -C "$REPO" commit-tree "$tree" -p HEAD -m "before-after.sh: snapshot of the working tree")"
    AFTER_LABEL="working tree of $REPO = $(describe HEAD) + $changed changed file(s) (snapshot tree ${tree:0:10})"
  fi
fi
say "before: $BEFORE_LABEL"
say "after:  $AFTER_LABEL"

declare -A DLL
for side in before after; do
  sha="$BASE_SHA"; [ "$side" = after ] && sha="$HEAD_SHA"
  git -C "$REPO" worktree add --detach "$WT/$side" "$sha" >"$OUT/logs/worktree-$side.log" 2>&1 \
    || { cat "$OUT/logs/worktree-$side.log" >&2; exit 1; }
  say "building $side (${sha:0:10}) in $WT/$side"
  # No build servers left behind: this script ends only what it started.
  cd "$WT/$side"   # global.json is looked up from the working directory
  run_child --group dotnet build benchmarks/ConvViz.Benchmarks -c Release -v quiet -nologo -nodeReuse:false -p:UseSharedCompilation=false \
    >"$OUT/logs/build-$side.log" 2>&1 || { tail -n 30 "$OUT/logs/build-$side.log" >&2; exit 1; }
  cd "$REPO"
  DLL[$side]="$WT/$side/benchmarks/ConvViz.Benchmarks/bin/Release/net10.0/ConvViz.Benchmarks.dll"
  [ -f "${DLL[$side]}" ] || { echo "before-after: the $side build produced no ${DLL[$side]}" >&2; exit 1; }
done
build_s=$(( $(date +%s) - start ))

# ---- the Debian 13 root, the data ----------------------------------------------------------------------------------
export CONVVIZ_FORCE_ROOTFS="${CONVVIZ_FORCE_ROOTFS:-1}" CONVVIZ_EXTRA_BINDS="${CONVVIZ_EXTRA_BINDS:-/sys}"
RUNNER=("$REPO/eng/run-with-libtorch.sh")
if [ "$(id -u)" != 0 ] && [ "$CONVVIZ_FORCE_ROOTFS" = 1 ]; then
  command -v sudo >/dev/null || { echo "before-after: the Debian 13 root needs root; run as root or install sudo" >&2; exit 1; }
  RUNNER=(sudo env PATH="$PATH" CONVVIZ_FORCE_ROOTFS=1 CONVVIZ_EXTRA_BINDS="$CONVVIZ_EXTRA_BINDS" \
          ${CONVVIZ_ROOTFS_DIR:+CONVVIZ_ROOTFS_DIR="$CONVVIZ_ROOTFS_DIR"} "${RUNNER[@]}")
fi
# The runner execs its way down to the command, so the pid run_child gets is the benchmark process itself.
IN_ROOT=("${RUNNER[@]}" env OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" TORCH_CPP_LOG_LEVEL=ERROR)

# The same seeded generator and folder as the BenchmarkDotNet epoch suite (SyntheticJpegs.DefaultRoot); reused if complete.
DATA="/tmp/convviz-bench-jpegs-$IMAGES"
say "JPEGs: $IMAGES in $DATA"
run_child "${IN_ROOT[@]}" dotnet "${DLL[before]}" make-jpegs "$DATA" "$IMAGES" >"$OUT/logs/make-jpegs.log" 2>&1 \
  || { tail -n 20 "$OUT/logs/make-jpegs.log" >&2; exit 1; }
# Page cache: both binaries (with their libtorch copies) and the JPEGs are read once before the first timed run.
find "$WT/before/benchmarks/ConvViz.Benchmarks/bin/Release" "$WT/after/benchmarks/ConvViz.Benchmarks/bin/Release" "$DATA" \
  -type f -exec cat {} + >/dev/null

# ---- interleaved runs ----------------------------------------------------------------------------------------------
# Honest noise: per run, the 1-minute load average at the start, the CPU steal during the run (/proc/stat), and the
# share of the machine's CPUs that other processes used during the run: all busy CPU time minus this run's own
# (bash `times` counts every waited-for descendant), divided by wall time x CPUs.
HZ="$(getconf CLK_TCK)" NCPU="$(nproc)"
cpu_counters() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9; exit }' /proc/stat; }
TIMES="$WT/times"
# `times` must run in this shell (not in a $(...) subshell, whose children are not ours): write, then read.
children_cpu() { awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] } printf "%.3f", s }' "$TIMES"; }
# Waits (up to --settle seconds) for a one-second window in which other processes use less than a quarter of the CPUs.
settle() {
  local waited=0 b0 t0 x0 b1 t1 x1 busy
  while :; do
    read -r b0 t0 x0 < <(cpu_counters); sleep 1; read -r b1 t1 x1 < <(cpu_counters)
    busy=$(awk -v db=$((b1 - b0)) -v dt=$((t1 - t0)) 'BEGIN { print (dt > 0 && db * 4 > dt) ? 1 : 0 }')
    [ "$busy" = 0 ] || [ "$waited" -ge "$SETTLE" ] && break
    waited=$((waited + 1))
  done
  echo "$waited"
}
MANIFEST="$OUT/raw/runs.tsv"
printf 'seq\tround\tside\tstart_utc\twall_s\tload1\tsteal_pct\tforeign_cpu_pct\tsettle_s\tjson\n' >"$MANIFEST"
seq=0
run_one() {
  local round="$1" side="$2" json="$OUT/raw/$2-$1.json" log="$OUT/logs/$2-$1.log"
  seq=$((seq + 1))
  : >"$json"   # exists now, so run-with-libtorch.sh binds its folder even when --out is outside the repository and /tmp
  local waited load1 when w0 w1 b0 t0 x0 b1 t1 x1 c0 c1
  waited=$(settle)
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  when="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  times >"$TIMES"; c0=$(children_cpu); read -r b0 t0 x0 < <(cpu_counters); w0=$(date +%s.%N)
  run_child "${IN_ROOT[@]}" dotnet "${DLL[$side]}" compare --threads "$THREADS" --batch 50 --budget "$BUDGET" --workers "$WORKERS" \
      --data "$DATA" --sections train,epoch --json "$json" >/dev/null 2>"$log" \
    || { echo "before-after: the $side run of round $round failed:" >&2; tail -n 20 "$log" >&2; exit 1; }
  w1=$(date +%s.%N); read -r b1 t1 x1 < <(cpu_counters); times >"$TIMES"; c1=$(children_cpu)
  local wall steal foreign
  wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.1f", b - a }')
  steal=$(awk -v dt=$((t1 - t0)) -v dx=$((x1 - x0)) 'BEGIN { printf "%.1f", (dt > 0) ? 100 * dx / dt : 0 }')
  foreign=$(awk -v db=$((b1 - b0)) -v hz="$HZ" -v own="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" -v w="$wall" -v n="$NCPU" \
    'BEGIN { f = (db / hz - own) / (w * n); if (f < 0) f = 0; printf "%.1f", 100 * f }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$seq" "$round" "$side" "$when" "$wall" "$load1" "$steal" "$foreign" "$waited" "$json" >>"$MANIFEST"
  echo "    $side: $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("training step %.1f, end-to-end epoch %.1f, compute epoch %.1f img/s" % (d["train_step"]["img_per_s"], d["e2e_epoch"]["img_per_s"], d["compute_epoch"]["img_per_s"]))' "$json")" \
       "(${wall} s; other processes ${foreign} % of the CPUs, steal ${steal} %$([ "$waited" = 0 ] || echo ", waited ${waited} s for a quiet moment"))" >&2
}

say "$ROUNDS rounds ($ORDER), training budget ${BUDGET}s, $IMAGES-image epoch, $THREADS threads, $WORKERS worker(s)"
done_rounds=0 capped=""
runs_start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
  if [ "$done_rounds" -ge 3 ]; then
    now=$(date +%s)
    per_round=$(( (now - runs_start) / done_rounds ))
    if [ $(( now - start + per_round )) -gt $(( MAX_MINUTES * 60 )) ]; then
      capped="stopped after $done_rounds of $ROUNDS rounds: round $round would end after --max-minutes $MAX_MINUTES"
      say "$capped"
      break
    fi
  fi
  first=before second=after
  if [ "$ORDER" = abba ] && [ $((round % 2)) = 0 ]; then first=after second=before; fi
  say "round $round/$ROUNDS"
  run_one "$round" "$first"
  run_one "$round" "$second"
  done_rounds=$round
done

say "done"
"$PY" "$REPO/benchmarks/compare/before_after_summary.py" "$MANIFEST" \
  --out "$OUT" --before "$BEFORE_LABEL" --after "$AFTER_LABEL" --before-sha "$BASE_SHA" --after-sha "$HEAD_SHA" \
  --budget "$BUDGET" --images "$IMAGES" --threads "$THREADS" --workers "$WORKERS" --order "$ORDER" \
  --tolerance "$TOLERANCE" --build-seconds "$build_s" --total-seconds "$(( $(date +%s) - start ))" \
  --cpus "$(nproc)" --cpu-model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" ${capped:+--note "$capped"}
