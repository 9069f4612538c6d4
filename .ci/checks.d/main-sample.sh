#!/usr/bin/env bash
# README's "run the main sample" command, exactly as written, on the bundled data: it must finish and write the
# model, history, feature-map grids, Grad-CAM overlay and an HTML report that renders in headless Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ART="${1:-artifacts/ci}"
cmd="$(grep -m1 -E '^eng/run-with-libtorch.sh dotnet run .*ConvViz.Samples.CatsVsDogs' README.md)"
[ -n "$cmd" ] || { echo "main-sample: README has no run command for the main sample"; exit 1; }
echo "main-sample: $cmd"
rm -rf convviz-output
start=$(date +%s)
bash -c "$cmd"
echo "main-sample: finished in $(( $(date +%s) - start )) s"
out=convviz-output
for f in model.safetensors model.onnx history.csv history.svg grad-cam.png filters-layer1.png report.html \
         feature-maps-layer2-conv2d_1.png feature-maps-layer3-max_pooling2d.png feature-maps-layer6-conv2d_3.png; do
  [ -s "$out/$f" ] || { echo "main-sample: $out/$f is missing or empty"; ls -la "$out" || true; exit 1; }
done
# Two epochs in the history (header + rows) and a report that renders.
[ "$(wc -l < "$out/history.csv")" -ge 2 ] || { echo "main-sample: history.csv has no epochs"; exit 1; }
eng/check-report-in-browser.sh "$out/report.html" "$ART/sample-report-screenshot.png"
cp -r "$out" "$ART/sample-output"
