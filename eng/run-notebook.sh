#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Runs samples/notebooks/blog.ipynb headlessly against the packed packages, as a user installs them:
#   eng/run-notebook.sh [--feed <folder>] [--no-pack] [--write <executed.ipynb>] [--update]
# 1. Packs ConvViz and ConvViz.Interactive (Release) into the feed folder (default artifacts/packages), unless --no-pack.
# 2. Drops stale copies of those package versions from the NuGet cache (it caches by id + version).
# 3. Runs every cell in an in-process C# kernel (eng/notebook-runner) inside eng/run-with-libtorch.sh; the notebook's
#    #i "nuget: ..." folder is replaced by the feed. A failing cell or a failed output check exits non-zero.
# --update writes the executed notebook (with outputs) back to samples/notebooks/blog.ipynb.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
FEED="$REPO/artifacts/packages"
PACK=1
WRITE=""
NOTEBOOK="$REPO/samples/notebooks/blog.ipynb"
while [ $# -gt 0 ]; do
  case "$1" in
    --feed) FEED="$2"; shift 2 ;;
    --no-pack) PACK=0; shift ;;
    --write) WRITE="$2"; shift 2 ;;
    --update) WRITE="$NOTEBOOK"; shift ;;
    *) echo "run-notebook: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$FEED"
FEED="$(cd "$FEED" && pwd -P)"
version() { sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$1" | head -n 1; }
core_version="$(version src/ConvViz/ConvViz.csproj)"
interactive_version="$(version src/ConvViz.Interactive/ConvViz.Interactive.csproj)"

if [ "$PACK" = 1 ]; then
  dotnet build src/ConvViz.Interactive -c Release -warnaserror 2>&1 | grep -E " error |rror\(s\)" | tail -n 5 || true
  dotnet pack src/ConvViz/ConvViz.csproj -c Release --no-build -o "$FEED" 2>&1 | tail -n 1
  dotnet pack src/ConvViz.Interactive/ConvViz.Interactive.csproj -c Release --no-build -o "$FEED" 2>&1 | tail -n 1
fi
for p in "ConvViz.$core_version.nupkg" "ConvViz.Interactive.$interactive_version.nupkg"; do
  [ -f "$FEED/$p" ] || { echo "run-notebook: $FEED/$p is missing"; exit 1; }
done
unzip -l "$FEED/ConvViz.Interactive.$interactive_version.nupkg" | grep -q "interactive-extensions/dotnet/ConvViz.Interactive.dll" \
  || { echo "run-notebook: the package has no interactive-extensions/dotnet/ConvViz.Interactive.dll"; exit 1; }

cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$cache/convviz/$core_version" "$cache/convviz.interactive/$interactive_version"

dotnet build eng/notebook-runner -c Release -warnaserror 2>&1 | grep -E " error |rror\(s\)" | tail -n 5 || true
# A feed outside the repository and /tmp must be bound into the libtorch root too.
case "$FEED/" in
  "$REPO"/*|/tmp/*) ;;
  *) export CONVVIZ_EXTRA_BINDS="${CONVVIZ_EXTRA_BINDS:+$CONVVIZ_EXTRA_BINDS:}$FEED" ;;
esac
args=("$NOTEBOOK" --packages "$FEED" --expect-extension ConvViz.Interactive.ConvVizKernelExtension)
[ -n "$WRITE" ] && args+=(--write "$(cd "$(dirname "$WRITE")" && pwd -P)/$(basename "$WRITE")")
exec eng/run-with-libtorch.sh dotnet eng/notebook-runner/bin/Release/net10.0/NotebookRunner.dll "${args[@]}"
