#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Regenerates the pictures in docs/images/ from the samples, so the gallery always shows real output:
# runs the main sample on the bundled data at the blog's 150×150 input size for its default 8 epochs (a trained model, about 94% test accuracy; layer 6 has the blog's
# 33×33×64 shape; extra arguments override these), then the Inspect sample on the saved model and the cat,
# and copies the chosen files. Usage: eng/make-gallery.sh [extra options for the main sample, e.g. --epochs 3]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd -P)"
WORK="$REPO/artifacts/gallery"
IMAGES="$REPO/docs/images"
rm -rf "$WORK"; mkdir -p "$WORK" "$IMAGES"

dotnet build samples/ConvViz.Samples.CatsVsDogs -c Release -v q -nologo
dotnet build samples/ConvViz.Samples.Inspect -c Release -v q -nologo
eng/run-with-libtorch.sh dotnet samples/ConvViz.Samples.CatsVsDogs/bin/Release/net10.0/ConvViz.Samples.CatsVsDogs.dll \
  --out "$WORK/main" --image-size 150 --epochs 8 "$@"
eng/run-with-libtorch.sh dotnet samples/ConvViz.Samples.Inspect/bin/Release/net10.0/ConvViz.Samples.Inspect.dll \
  "$WORK/main/model.safetensors" samples/data/chelsea.png --layer r:6 --patterns conv2d_3 --out "$WORK/inspect"
# An in-domain image beside the cat: the first boot of the sample's held-out test split.
boot="$(ls "$WORK/main/data-demo/test/boot/"*.png | sort -V | head -n 1)"
eng/run-with-libtorch.sh dotnet samples/ConvViz.Samples.Inspect/bin/Release/net10.0/ConvViz.Samples.Inspect.dll \
  "$WORK/main/model.safetensors" "$boot" --layer r:6 --out "$WORK/inspect-boot" | tee "$WORK/inspect-boot.log"

# The pretrained ResNet18 with a new head (its NuGet package is restored by the sample's PackageDownload).
eng/run-with-libtorch.sh dotnet run -c Release --project samples/ConvViz.Samples.Pretrained -- --epochs 10 --output "$WORK/pretrained" \
  | grep -v '^Epoch ' | tee "$WORK/pretrained.log"

copy() { cp "$1" "$IMAGES/$2"; printf '  %-36s %6d bytes\n' "$2" "$(stat -c %s "$IMAGES/$2")"; }
echo "docs/images:"
copy "$WORK/main/feature-maps-layer3-max_pooling2d.png" cat-layer3-max_pooling2d.png
copy "$WORK/main/feature-maps-layer6-conv2d_3.png"      cat-layer6-conv2d_3.png
copy "$WORK/main/grad-cam.png"                          cat-grad-cam.png
copy "$WORK/main/filters-layer1.png"                    filters-conv2d.png
copy "$WORK/main/augmentation-preview.png"              augmentation-preview.png
copy "$WORK/main/history.svg"                           history.svg
copy "$WORK/inspect/saliency-class"*.png                cat-saliency.png
copy "$WORK/inspect/filters-05-conv2d_3.png"            filters-conv2d_3.png
copy "$WORK/inspect/patterns-05-conv2d_3.png"           patterns-conv2d_3.png
copy "$WORK/inspect-boot/grad-cam-class"*.png           boot-grad-cam.png
copy "$WORK/inspect-boot/feature-maps-05-conv2d_3.png"  boot-layer6-conv2d_3.png
copy "$WORK/pretrained/layer23-stage1_block2_out.png"   resnet18-stage1_block2_out.png
copy "$WORK/pretrained/grad-cam.png"                    resnet18-head-grad-cam.png
echo "boot image: $boot"; grep -m1 '^Prediction' "$WORK/inspect-boot.log" || true
du -ch "$IMAGES"/* | tail -n 1
