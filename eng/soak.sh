#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Soak run (not part of CI): 50 epochs of the image-folder pipeline, a small CNN, validation and checkpoints, sampling
# process memory and live native tensors after every epoch. Prints one line per epoch and a summary, and fails if
# memory grows or tensors accumulate. CI excludes these tests with --filter "Category!=Soak".
#   eng/soak.sh            # from the repository root
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec eng/run-with-libtorch.sh dotnet test tests/ConvViz.Tests -c Release \
    --filter "Category=Soak" --logger "console;verbosity=detailed" "$@"
