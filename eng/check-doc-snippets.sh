#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Compiles every ```csharp block of README.md and docs/**/*.md against the current library, so snippets never rot.
# Each block is a complete top-level program; it becomes its own project under artifacts/doc-snippets/ and is built
# (all projects in one solution, so the library is built once). A block may start with file-based-app lines
# `#:package Name@Version` (a package the snippet needs besides ConvViz); they become package references. With --run, README's first snippet is also run
# through eng/run-with-libtorch.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd -P)"
OUT="$REPO/artifacts/doc-snippets"
rm -rf "$OUT"; mkdir -p "$OUT"

python3 - "$REPO" "$OUT" <<'PY'
import os, re, sys
repo, out = sys.argv[1], sys.argv[2]
files = ["README.md"] + sorted(
    os.path.join(dp, f)[len(repo) + 1:] for dp, _, fs in os.walk(os.path.join(repo, "docs")) for f in fs if f.endswith(".md"))
n = 0
for rel in files:
    text = open(os.path.join(repo, rel), encoding="utf-8").read()
    for m in re.finditer(r"^```csharp[ \t]*\n(.*?)^```", text, re.S | re.M):
        n += 1
        line = text[:m.start()].count("\n") + 1
        name = f"Snippet{n:02d}"
        d = os.path.join(out, name)
        os.makedirs(d)
        code = m.group(1)
        packages = re.findall(r"^#:package[ \t]+([\w.]+)@([\w.+-]+)[ \t]*$", code, re.M)
        code = re.sub(r"^#:package", "// #:package", code, flags=re.M)
        references = "".join(f'<PackageReference Include="{p}" VersionOverride="{v}" />' for p, v in packages)
        with open(os.path.join(d, "Program.cs"), "w", encoding="utf-8") as f:
            f.write(f"// {rel}:{line}\n#pragma warning disable CS1591\n" + code)
        with open(os.path.join(d, name + ".csproj"), "w", encoding="utf-8") as f:
            f.write(f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><ConvVizNeedsNativeBackend>true</ConvVizNeedsNativeBackend>
    <NoWarn>$(NoWarn);CS1591;IDE0005;IDE0073;IDE0161;IDE0130</NoWarn><GenerateDocumentationFile>true</GenerateDocumentationFile></PropertyGroup>
  <ItemGroup><ProjectReference Include="{repo}/src/ConvViz/ConvViz.csproj" />{references}</ItemGroup>
</Project>
""")
        print(f"{name}: {rel}:{line}")
print(f"{n} snippets")
PY

# The repository's Directory.Build.props/targets apply (artifacts/ is inside the repo): same strict settings.
cd "$OUT"
dotnet new sln -n DocSnippets --format sln >/dev/null
for p in Snippet*/Snippet*.csproj; do dotnet sln DocSnippets.sln add "$p" >/dev/null; done
dotnet build DocSnippets.sln -c Release 2>&1 | grep -E "error|Build succeeded" | sort -u | head -n 40
[ "${PIPESTATUS[0]}" = 0 ] || { echo "doc snippets: build failed"; exit 1; }
if [ "${1:-}" = "--run" ] && [ -d Snippet01 ]; then
  "$REPO/eng/run-with-libtorch.sh" dotnet Snippet01/bin/Release/net10.0/Snippet01.dll
fi
echo "doc snippets: all compile"
