#!/usr/bin/env bash
# The notebook package and the blog notebook, as a user installs and runs them:
# 1. packs ConvViz.Interactive next to the ConvViz package that .ci/run packed ($ART/packages);
# 2. runs tests/ConvViz.Interactive.Tests (formatters, bad input, live display, kernel extension);
# 3. runs samples/notebooks/blog.ipynb headlessly against that local feed (#i/#r "nuget: ..." in an in-process C#
#    kernel, package extension loaded from interactive-extensions/dotnet): every cell must succeed and every checked
#    output must be there (mime type, images with plausible sizes, 385,090 parameters, a live chart updated per epoch;
#    section 10: the pretrained ResNet18 from NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 (restored from nuget.org
#    or the NuGet cache, as for a user), its 80-layer summary, stage 1-4 maps, Grad-CAM and activation maximisation);
# 4. renders the executed notebook's HTML outputs in headless Chromium ($ART/notebook-screenshots).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ART="$(mkdir -p "${1:-artifacts/ci}" && cd "${1:-artifacts/ci}" && pwd -P)"
FEED="$ART/packages"
mkdir -p "$FEED"
start=$(date +%s)

dotnet pack src/ConvViz.Interactive/ConvViz.Interactive.csproj -c Release --no-build -o "$FEED" 2>&1 | tail -n 1
[ -f "$FEED/ConvViz.$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/ConvViz/ConvViz.csproj | head -n 1).nupkg" ] \
  || dotnet pack src/ConvViz/ConvViz.csproj -c Release --no-build -o "$FEED" 2>&1 | tail -n 1

eng/run-with-libtorch.sh dotnet test tests/ConvViz.Interactive.Tests -c Release --no-build \
    --logger "trx;LogFileName=interactive-tests.trx" --results-directory "$ART/test-results" 2>&1 | tail -n 5
echo "notebook: unit tests done at $(( $(date +%s) - start )) s"

eng/run-notebook.sh --feed "$FEED" --no-pack --write "$ART/blog.executed.ipynb"
echo "notebook: notebook done at $(( $(date +%s) - start )) s"

if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  eng/notebook-screenshots.sh "$ART/blog.executed.ipynb" "$ART/notebook-screenshots" | tail -n 3
else
  echo "notebook: chromium is not installed; screenshots skipped"
fi
echo "notebook: finished in $(( $(date +%s) - start )) s"
