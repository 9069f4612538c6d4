#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Consumer smoke test: what `dotnet add package ConvViz` gives a user.
#   eng/consumer-smoke-test.sh <folder-with-ConvViz.nupkg> <version>
# 1. A fresh console app outside the repository installs ConvViz from the local feed plus the CPU backend,
#    builds the blog's model and prints its parameter total (expects 385,090).
# 2. A second app without any backend package must fail with ConvViz's actionable message naming the package.
# Prints "smoke: <name> passed|failed" lines; exits non-zero if any check failed.
set -euo pipefail
FEED="$(cd "$1" && pwd -P)"
VERSION="$2"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
RUN="$REPO/eng/run-with-libtorch.sh"
WORK="$(mktemp -d /tmp/convviz-consumer.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# The global packages folder caches by id+version: drop any stale copy of this version.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/convviz/$VERSION"

failures=0
report() { echo "smoke: $1 $2"; [ "$2" = passed ] || failures=$((failures + 1)); }

make_app() {
  local dir="$1"
  mkdir -p "$dir"
  # README's path: a local folder feed added with `dotnet nuget add source` (here to the app's own nuget.config, so
  # the user's configuration is left alone), then `dotnet add package`.
  (cd "$dir" && dotnet new console --framework net10.0 --force >/dev/null \
     && dotnet new nugetconfig --force >/dev/null \
     && dotnet nuget add source "$FEED" --name convviz-local --configfile nuget.config >/dev/null \
     && dotnet add package ConvViz --version "$VERSION" >/dev/null)
  cat >"$dir/Program.cs" <<'CS'
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

using var model = new SequentialBuilder(150, 150, 3)
    .AddConv2D(8, 3, Activation.ReLU).AddConv2D(16, 3, Activation.ReLU).AddMaxPooling2D(2)
    .AddConv2D(32, 3, Activation.ReLU).AddMaxPooling2D(2)
    .AddConv2D(64, 3, Activation.ReLU).AddMaxPooling2D(2)
    .AddConv2D(16, 3, Activation.ReLU).AddFlatten()
    .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
    .AddDense(128, Activation.ReLU).AddDense(128, Activation.ReLU).AddDropout(0.3)
    .AddDense(256, Activation.ReLU).AddDense(256, Activation.ReLU).AddDropout(0.3)
    .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
    .AddDense(32, Activation.ReLU).AddDense(2, Activation.Softmax)
    .Build();
Console.WriteLine($"Total params: {model.ParameterCount:N0}");
using var input = rand(1, 3, 150, 150);
using var activation = IntermediateModel.From(model, 5).Predict(input);
Console.WriteLine($"Layer index 5: [{string.Join(", ", activation.shape)}]");
CS
}

# 1. With the CPU backend.
APP="$WORK/BlogApp"
make_app "$APP"
(cd "$APP" && dotnet add package libtorch-cpu-linux-x64 --version 2.10.0 >/dev/null)
if out="$(cd "$APP" && dotnet build -c Release 2>&1)"; then
  out="$(cd "$APP" && "$RUN" dotnet bin/Release/net10.0/BlogApp.dll 2>&1 || true)"
  echo "$out" | sed 's/^/    /'
  if grep -q "Total params: 385,090" <<<"$out" && grep -q "Layer index 5: \[1, 64, 33, 33\]" <<<"$out"; then
    report blog-model passed
  else
    report blog-model failed
  fi
else
  echo "$out" | tail -n 20
  report blog-model failed
fi

# Package contents: README, XML docs, symbols package.
NUPKG="$FEED/ConvViz.$VERSION.nupkg"
listing="$(unzip -l "$NUPKG")"
nuspec="$(unzip -p "$NUPKG" ConvViz.nuspec)"
if grep -q "README.md" <<<"$listing" && grep -q "lib/net10.0/ConvViz.xml" <<<"$listing" \
   && [ -f "$FEED/ConvViz.$VERSION.snupkg" ] && grep -q '<license type="expression">MIT</license>' <<<"$nuspec" \
   && grep -q '<readme>README.md</readme>' <<<"$nuspec"; then
  report package-contents passed
else
  echo "$listing"
  report package-contents failed
fi

# 2. Without a backend: ConvViz must name the package to add.
APP2="$WORK/NoBackendApp"
make_app "$APP2"
if (cd "$APP2" && dotnet build -c Release >/dev/null 2>&1); then
  # TorchSharp falls back to natives it finds in the NuGet cache; hide the cache to see what a user without it sees.
  out="$(cd "$APP2" && "$RUN" env NUGET_PACKAGES="$WORK/empty-nuget" HOME="$WORK/empty-home" \
           dotnet bin/Release/net10.0/NoBackendApp.dll 2>&1 || true)"
  if grep -q "NativeBackendMissingException" <<<"$out" && grep -q "dotnet add package libtorch-cpu-linux-x64" <<<"$out"; then
    report missing-backend-message passed
  else
    echo "$out" | head -n 5
    report missing-backend-message failed
  fi
else
  report missing-backend-message failed
fi

exit $(( failures > 0 ))
