#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Keras import speed (docs/performance.md, "Keras import"): writes a synthetic VGG16-sized Keras 2 HDF5 file with the
# host's python3-h5py into a temporary folder (deleted afterwards), then times Model.Load of it against ConvViz's own
# file of the same model, interleaved, and the load time of each Keras fixture class.
#
#   benchmarks/keras-load.sh [ROUNDS]        (default 10)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir="$(mktemp -d /tmp/convviz-keras-load.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
"${CONVVIZ_PYTHON:-/usr/bin/python3}" benchmarks/ConvViz.Benchmarks/make_vgg16_keras.py "$dir/vgg16_base.h5"
dotnet build benchmarks/ConvViz.Benchmarks -c Release -v quiet -nologo >/dev/null
eng/run-with-libtorch.sh dotnet benchmarks/ConvViz.Benchmarks/bin/Release/net10.0/ConvViz.Benchmarks.dll keras-load "${1:-10}" \
  --keras "$dir/vgg16_base.h5" --fixtures "$PWD/tests/ConvViz.Tests/TestAssets/keras"
