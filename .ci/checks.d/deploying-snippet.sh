#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# docs/deploying.md's "ONNX Runtime in a .NET console app" snippet runs, as a user runs it (issue 27):
# 1. a small ConvViz program (3 classes, 32×32 RGB, rescale plus feature-wise standardisation, seeded) exports
#    model-raw.onnx with IncludePreprocessing = true and prints ConvViz's Predict for the snippet's image (every raw
#    pixel 128, standardised by the model's own preprocessing); it runs through eng/run-with-libtorch.sh;
# 2. the snippet (the doc's block that starts with `#:package Microsoft.ML.OnnxRuntime@…`) is built as a console
#    project in a temporary folder outside the repository, with only that package, and runs beside the file;
# 3. its output must name every class once, with probabilities in [0, 1] summing to 1, the predicted class marked
#    on the largest, and each probability equal to ConvViz's within 1e-5.
# Offline once the packages are restored (ConvViz's build, Microsoft.ML.OnnxRuntime from the NuGet cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO="$(pwd -P)"
start=$(date +%s)
work="$(mktemp -d /tmp/convviz-deploying.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/exporter" "$work/snippet" "$work/run"

# The snippet, from the doc (its #:package lines become the project's package references).
python3 - "$REPO/docs/deploying.md" "$work/snippet" <<'PY'
import re, sys
doc, out = sys.argv[1], sys.argv[2]
text = open(doc, encoding="utf-8").read()
blocks = [m.group(1) for m in re.finditer(r"^```csharp[ \t]*\n(.*?)^```", text, re.S | re.M)
          if re.search(r"^#:package[ \t]+Microsoft\.ML\.OnnxRuntime@", m.group(1), re.M)]
if len(blocks) != 1:
    sys.exit(f"deploying-snippet: expected one csharp block with '#:package Microsoft.ML.OnnxRuntime@' in {doc}, found {len(blocks)}")
code = blocks[0]
packages = re.findall(r"^#:package[ \t]+([\w.]+)@([\w.+-]+)[ \t]*$", code, re.M)
if any(name.lower().startswith("convviz") for name, _ in packages):
    sys.exit("deploying-snippet: the ONNX Runtime snippet must run without ConvViz")
code = re.sub(r"^#:.*\n", "", code, flags=re.M)
refs = "".join(f'\n    <PackageReference Include="{n}" Version="{v}" />' for n, v in packages)
open(f"{out}/Program.cs", "w", encoding="utf-8").write(code)
open(f"{out}/Snippet.csproj", "w", encoding="utf-8").write(f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>{refs}
  </ItemGroup>
</Project>
""")
print("deploying-snippet: packages " + ", ".join(f"{n} {v}" for n, v in packages))
PY

# The exporter: ConvViz from this repository (already built in Release by .ci/run).
cat > "$work/exporter/Exporter.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$REPO/src/ConvViz/ConvViz.csproj" />
    <PackageReference Include="libtorch-cpu-linux-x64" Version="$(sed -n 's:.*Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)" />
  </ItemGroup>
</Project>
EOF
cat > "$work/exporter/Program.cs" <<'EOF'
using System.Globalization;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

var preprocessing = new ImagePreprocessing
{
    TargetHeight = 32,
    TargetWidth = 32,
    Rescale = 1.0 / 255,
    FeaturewiseMean = [0.3f, 0.5f, 0.7f],
    FeaturewiseStd = [0.1f, 0.2f, 0.3f],
};
using var model = new SequentialBuilder(32, 32, 3)
    .WithSeed(11)
    .AddConv2D(8, 3, Activation.ReLU)
    .AddMaxPooling2D(2)
    .AddConv2D(8, 3, Activation.ReLU)
    .AddFlatten()
    .AddDropout(0.3)
    .AddDense(3, Activation.Softmax)
    .Build();
model.Preprocessing = preprocessing;
model.ClassNames = ["cat", "dog", "bird"];
model.ExportOnnx(Path.Combine(args[0], "model-raw.onnx"), new OnnxExportOptions { IncludePreprocessing = true });

// The snippet's image: every raw pixel 128, preprocessed as in training.
using var raw = full(new long[] { 1, 3, 32, 32 }, 128f);
using var input = preprocessing.Standardize(raw);
using var probabilities = model.Predict(input);
var values = probabilities.data<float>().ToArray();
for (var i = 0; i < values.Length; i++)
{
    Console.WriteLine($"{model.ClassNames[i]}\t{values[i].ToString("R", CultureInfo.InvariantCulture)}");
}
EOF

build() {
  local log="$work/$1.build.log"
  if ! dotnet build "$work/$1" -c Release >"$log" 2>&1; then
    echo "deploying-snippet: building the $1 failed:"; grep -E "error|warn" "$log" | sort -u | head -n 20; exit 1
  fi
}
build snippet &
snippet_build=$!
build exporter
wait "$snippet_build" || exit 1
echo "deploying-snippet: built both projects at $(( $(date +%s) - start )) s"

eng/run-with-libtorch.sh dotnet "$work/exporter/bin/Release/net10.0/Exporter.dll" "$work/run" >"$work/convviz.txt"
[ -s "$work/run/model-raw.onnx" ] || { echo "deploying-snippet: the exporter wrote no model-raw.onnx"; exit 1; }
# The snippet runs as the user runs it: no libtorch, the model file in the working directory.
(cd "$work/run" && dotnet "$work/snippet/bin/Release/net10.0/Snippet.dll") >"$work/snippet.txt" 2>&1 \
  || { echo "deploying-snippet: the snippet failed:"; cat "$work/snippet.txt"; exit 1; }
echo "deploying-snippet: the snippet printed:"; sed 's/^/  /' "$work/snippet.txt"

python3 - "$work/convviz.txt" "$work/snippet.txt" <<'PY'
import re, sys
expected = {}
for line in open(sys.argv[1], encoding="utf-8"):
    name, value = line.rstrip("\n").split("\t")
    expected[name] = float(value)
printed, predicted = {}, []
for line in open(sys.argv[2], encoding="utf-8"):
    m = re.fullmatch(r"(.+): ([0-9]+\.[0-9]+)( \(predicted\))?", line.rstrip("\n"))
    if not m:
        sys.exit(f"deploying-snippet: unexpected line in the snippet's output: {line!r}")
    if m.group(1) in printed:
        sys.exit(f"deploying-snippet: class {m.group(1)} printed twice")
    printed[m.group(1)] = float(m.group(2))
    if m.group(3):
        predicted.append(m.group(1))
errors = []
if list(printed) != list(expected):
    errors.append(f"classes {list(printed)}, ConvViz's model has {list(expected)}")
if any(not 0 <= p <= 1 for p in printed.values()) or abs(sum(printed.values()) - 1) > 1e-5:
    errors.append(f"the probabilities {list(printed.values())} are not a distribution")
if predicted != [max(printed, key=printed.get)]:
    errors.append(f"the predicted mark is on {predicted}, the largest probability is {max(printed, key=printed.get)}")
worst = 0.0
for name, value in expected.items():
    if name in printed:
        worst = max(worst, abs(printed[name] - value))
        # The snippet prints 6 decimals: allow their rounding on top of the 1e-5 parity.
        if abs(printed[name] - value) > 1e-5 + 5e-7:
            errors.append(f"{name}: ONNX Runtime {printed[name]}, ConvViz's Predict {value}")
if errors:
    print("deploying-snippet: " + "; ".join(errors))
    sys.exit(1)
print(f"deploying-snippet: {len(printed)} classes, largest difference from ConvViz's Predict {worst:.1e} (limit 1e-5)")
PY
echo "deploying-snippet: passed in $(( $(date +%s) - start )) s"
