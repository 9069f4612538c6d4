#!/usr/bin/env bash
# Determinism (issue 23): the same input and seed give the same picture.
#  1. The determinism, SmoothGrad and Integrated Gradients tests, several times in a row (each run is a fresh process,
#     so native allocation patterns differ between runs).
#  2. The numeric tests (models, training, augmentation, inspection, parity, the determinism tests) in the stress mode:
#     CONVVIZ_GC_STRESS=1 starts a thread that forces garbage collections and finalizers for the whole run, so a
#     TorchSharp object that libtorch reads after it became collectable is freed under the call.
#     The model-file mutation fuzzers (thousands of parser runs that end at load) and the 64 MB ResNet18 parity run in
#     the normal test run only: under the stress thread they added minutes without exercising tensor lifetimes further.
# Tests were built by .ci/run's Release build.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs="${CONVVIZ_DETERMINISM_RUNS:-5}"
status=0
repeat_filter="FullyQualifiedName~ConvViz.Tests.Reliability.DeterminismTests|FullyQualifiedName~SmoothGradTests|FullyQualifiedName~IntegratedGradientsTests"
for i in $(seq 1 "$runs"); do
  if out="$(eng/run-with-libtorch.sh dotnet test tests/ConvViz.Tests -c Release --no-build --filter "$repeat_filter" 2>&1)"; then
    echo "determinism run $i/$runs: $(grep -E 'Passed!|Failed!' <<<"$out" | tail -n 1)"
  else
    echo "determinism run $i/$runs failed:"; grep -vE '^\s+at ' <<<"$out" | tail -n 40; status=1
  fi
done

stress_filter="Category!=Soak&(FullyQualifiedName~ConvViz.Tests.Models|FullyQualifiedName~ConvViz.Tests.Training|FullyQualifiedName~ConvViz.Tests.Augmentation|FullyQualifiedName~ConvViz.Tests.Inspection|FullyQualifiedName~ConvViz.Tests.Parity|FullyQualifiedName~ConvViz.Tests.Reliability.DeterminismTests|FullyQualifiedName~ConvViz.Tests.Reliability.GcPressureTests)&FullyQualifiedName!~Mutated&FullyQualifiedName!~PretrainedResNet18Tests"
if out="$(CONVVIZ_GC_STRESS=1 eng/run-with-libtorch.sh dotnet test tests/ConvViz.Tests -c Release --no-build --filter "$stress_filter" 2>&1)"; then
  echo "stress mode (CONVVIZ_GC_STRESS=1): $(grep -E 'Passed!|Failed!' <<<"$out" | tail -n 1)"
else
  echo "stress mode (CONVVIZ_GC_STRESS=1) failed:"; grep -vE '^\s+at ' <<<"$out" | tail -n 60; status=1
fi
exit $status
