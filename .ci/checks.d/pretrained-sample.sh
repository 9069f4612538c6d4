#!/usr/bin/env bash
# The pretrained sample on the bundled data: the ResNet18 of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 (restored
# into the NuGet cache by the sample's PackageDownload), a new head on its features, the stage feature maps, Grad-CAM
# and an explorable report of the 80-layer graph that renders in headless Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ART="${1:-artifacts/ci}"
out="$(pwd)/artifacts/pretrained-output"
rm -rf "$out"
start=$(date +%s)
eng/run-with-libtorch.sh dotnet run -c Release --project samples/ConvViz.Samples.Pretrained -- --epochs 10 --output "$out" | grep -v '^Epoch ' | tee "$ART/pretrained-sample.log"
echo "pretrained-sample: finished in $(( $(date +%s) - start )) s"
for f in grad-cam.png report.html layer8-relu1.png layer39-stage2_block2_out.png layer78-stage4_block3_out.png; do
  [ -s "$out/$f" ] || { echo "pretrained-sample: $out/$f is missing or empty"; ls -la "$out" || true; exit 1; }
done
grep -q '^Test accuracy of the new head on ResNet18 features: ' "$ART/pretrained-sample.log" \
  || { echo "pretrained-sample: no accuracy line"; exit 1; }
eng/check-report-in-browser.sh "$out/report.html" "$ART/pretrained-report-screenshot.png"
