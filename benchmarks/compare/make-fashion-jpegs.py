#!/usr/bin/env python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes a cats-vs-dogs-sized JPEG folder from Fashion-MNIST (MIT, Zalando SE) for the blog-run benchmark: sneakers
against ankle boots, each 28x28 grey image upscaled (bicubic) to SIZE x SIZE RGB and saved by Pillow as a quality-90
JPEG, as photos in a real image folder would be. Layout: DST/train/{boot,sneaker}/N.jpg (TRAIN per class, from the
Fashion-MNIST training set) and DST/validation/{boot,sneaker}/N.jpg (VALID per class, from its test set).

  apt-get download dataset-fashion-mnist
  mkdir -p fm && dpkg-deb --fsys-tarfile dataset-fashion-mnist_*_all.deb \
      | tar -x -C fm --strip-components=5 ./usr/share/datasets/fashion-mnist
  /usr/bin/python3 benchmarks/compare/make-fashion-jpegs.py fm /tmp/fashion-jpegs [TRAIN=2000] [VALID=500] [SIZE=180]

Never commit the output (the benchmark writes it to a temporary folder).
"""
import importlib.util, os, sys
from PIL import Image

# The IDX reader and the choice of images are the bundled demo data's (eng/make-demo-data.py).
_spec = importlib.util.spec_from_file_location("demo_data", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "eng", "make-demo-data.py"))
_demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_demo)
read_idx, select = _demo.read_idx, _demo.select


def write(src, images_file, labels_file, dst, per_class, size):
    images, rows, cols = read_idx(os.path.join(src, images_file))
    labels, _, _ = read_idx(os.path.join(src, labels_file))
    counts = {}
    for name, number, image in select(images, labels, per_class):
        counts[name] = number
        folder = os.path.join(dst, name)
        os.makedirs(folder, exist_ok=True)
        picture = Image.frombytes("L", (cols, rows), image).resize((size, size), Image.BICUBIC).convert("RGB")
        picture.save(os.path.join(folder, f"{number}.jpg"), quality=90)
    return counts


def main():
    src, dst = sys.argv[1], sys.argv[2]
    train = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    valid = int(sys.argv[4]) if len(sys.argv) > 4 else 500
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 180
    print("train", write(src, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", os.path.join(dst, "train"), train, size))
    print("validation", write(src, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", os.path.join(dst, "validation"), valid, size))


if __name__ == "__main__":
    main()
