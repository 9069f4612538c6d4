#!/usr/bin/env bash
# Smoke run of every BenchmarkDotNet suite (Job.Dry: one iteration each), so the benchmarks keep compiling and running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
eng/run-with-libtorch.sh dotnet run -c Release --no-build --project benchmarks/ConvViz.Benchmarks -- --job dry --filter '*' \
  2>&1 | tail -n 40
