#!/usr/bin/env bash
# The blog as one C# file (samples/blog/blog.cs, a .NET 10 file-based app), run the way README shows it, on the
# bundled data with 2 epochs: it must finish and write the model, the layer-6 grid, the Grad-CAM overlay and the report.
# File-based apps turn off reflection-based JSON by default (as trimmed and AOT apps do), so this also checks that the
# library works there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ART="$(mkdir -p "${1:-artifacts/ci}" && cd "${1:-artifacts/ci}" && pwd -P)"
out="$ART/blog-output"
rm -rf "$out"
start=$(date +%s)
eng/run-with-libtorch.sh dotnet run samples/blog/blog.cs -- --epochs 2 --output "$out" 2>&1 | tail -n 8
echo "blog-sample: finished in $(( $(date +%s) - start )) s"
for f in model.safetensors layer6-conv2d_3.png grad-cam.png report.html; do
  [ -s "$out/$f" ] || { echo "blog-sample: $out/$f is missing or empty"; ls -la "$out" || true; exit 1; }
done
