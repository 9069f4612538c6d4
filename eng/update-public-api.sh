#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
# Adds every new public symbol of src/ConvViz to PublicAPI.Unshipped.txt (RS0016 code fix) and removes
# entries for symbols that no longer exist (RS0017). Review the diff before committing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet format analyzers src/ConvViz/ConvViz.csproj --diagnostics RS0016 RS0017 --severity warn "$@"
# Keep the file sorted (after the '#nullable enable' header) so concurrent changes merge cleanly.
f=src/ConvViz/PublicAPI.Unshipped.txt
{ head -n 1 "$f"; tail -n +2 "$f" | grep -v '^$' | LC_ALL=C sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"
