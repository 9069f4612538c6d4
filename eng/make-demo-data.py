#!/usr/bin/env python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes the samples' bundled demo data: a two-class subset of Fashion-MNIST (MIT, Zalando SE) laid out like
Kaggle's Dogs vs. Cats train/ folder (flat, <class>.<n>.png), so the samples split it exactly as the blog does.

  apt-get download dataset-fashion-mnist
  mkdir -p fm && dpkg-deb --fsys-tarfile dataset-fashion-mnist_*_all.deb \
      | tar -x -C fm --strip-components=5 ./usr/share/datasets/fashion-mnist
  python3 eng/make-demo-data.py fm samples/data/fashion-shoes 500
"""
import gzip, struct, sys, zlib, os

CLASSES = {7: "sneaker", 9: "boot"}  # Fashion-MNIST labels 7 = Sneaker, 9 = Ankle boot


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return [data[16 + i * rows * cols: 16 + (i + 1) * rows * cols] for i in range(count)], rows, cols
    return list(data[8:8 + count]), None, None


def png_gray(pixels, width, height):
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def select(images, labels, per_class):
    """Yields (class name, 1-based number within the class, image) for the first per_class images of each class."""
    counts = {name: 0 for name in CLASSES.values()}
    for image, label in zip(images, labels):
        name = CLASSES.get(label)
        if name is None or counts[name] >= per_class:
            continue
        counts[name] += 1
        yield name, counts[name], image


def main(src, dst, per_class):
    images, rows, cols = read_idx(os.path.join(src, "train-images-idx3-ubyte.gz"))
    labels, _, _ = read_idx(os.path.join(src, "train-labels-idx1-ubyte.gz"))
    os.makedirs(dst, exist_ok=True)
    counts = {}
    for name, number, image in select(images, labels, per_class):
        counts[name] = number
        with open(os.path.join(dst, f"{name}.{number}.png"), "wb") as f:
            f.write(png_gray(image, cols, rows))
    print(counts)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
