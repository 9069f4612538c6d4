#!/usr/bin/python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes small JPEG files covering the variants ConvViz's own JPEG decoder reads, and the RGB bytes Pillow (and so
Keras' load_img, which calls convert("RGB")) decodes from each, to tests/ConvViz.Tests/TestAssets/Parity/jpeg/.

Most files are written by Pillow itself (baseline and progressive at 4:4:4, 4:2:2 and 4:2:0, greyscale, CMYK with
the Adobe marker, optimised Huffman tables, odd and tiny sizes, a truncated file). Pillow 9.4 cannot write restart
markers, 4:4:0 or 4:1:1 subsampling, RGB-coded or YCCK files, so a minimal baseline encoder below writes those
(fixed-length Huffman codes, which are valid JPEG). Pillow decodes every file; its bytes are the expected values.
Run with Debian's packages:

  apt-get install -y python3-pil python3-numpy
  /usr/bin/python3 eng/make-jpeg-fixtures.py

Pillow 9.4 with libjpeg-turbo 2.1 (Debian 12/13) produced the committed files; the versions are recorded in jpeg.json.
"""
import gzip
import hashlib
import io
import json
import os
import struct

import numpy as np
import PIL
from PIL import Image, ImageFile, features

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "ConvViz.Tests", "TestAssets", "Parity", "jpeg")
RNG = np.random.default_rng(29)


def synthetic(w, h):
    """Gradients, saturated colour blocks with sharp edges, thin lines and a little noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    img[..., 0] = 255 * x / max(w - 1, 1)
    img[..., 1] = 255 * y / max(h - 1, 1)
    img[..., 2] = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    colours = [(255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0), (255, 0, 255), (0, 0, 0), (255, 255, 255)]
    for i, c in enumerate(colours):
        x0 = int((i * 0.13 + 0.05) * w)
        y0 = int(((i * 0.37) % 0.8) * h)
        img[y0:y0 + max(2, h // 5), x0:x0 + max(2, w // 6)] = c
    img[:, w // 2: w // 2 + 1] = (255, 0, 0)
    img[h // 3, :] = (0, 0, 255)
    img += RNG.normal(0, 3, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def chelsea(w, h):
    im = Image.open(os.path.join(ROOT, "tests", "ConvViz.Tests", "TestAssets", "chelsea.png")).convert("RGB")
    return im.crop((120, 20, 420, 245)).resize((w, h), Image.BILINEAR)


def pillow_jpeg(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


# --- A minimal baseline encoder for what Pillow cannot write -------------------------------------------------------

ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
          21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
          60, 61, 54, 47, 55, 62, 63]
DCT = np.array([[(np.sqrt(0.125) if u == 0 else 0.5) * np.cos((2 * x + 1) * u * np.pi / 16) for x in range(8)]
                for u in range(8)])
DC_SYMBOLS = list(range(12))  # every DC symbol gets a 4-bit code
AC_SYMBOLS = [0x00, 0xF0] + [(r << 4) | s for r in range(16) for s in range(1, 11)]  # every AC symbol an 8-bit code


def quant_table(scale):
    base = np.array([[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55], [14, 13, 16, 24, 40, 57, 69, 56],
                     [14, 17, 22, 29, 51, 87, 80, 62], [18, 22, 37, 56, 68, 109, 103, 77],
                     [24, 35, 55, 64, 81, 104, 113, 92], [49, 64, 78, 87, 103, 121, 120, 101],
                     [72, 92, 95, 98, 112, 100, 103, 99]])
    return np.clip(np.round(base * scale), 1, 255).astype(int)


class BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def write(self, value, bits):
        for i in range(bits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.n = 0, 0

    def flush(self):
        while self.n:
            self.write(1, 1)


def encode_value(bw, value):
    size = int(abs(value)).bit_length()
    if value < 0:
        value += (1 << size) - 1
    return size, value


def own_jpeg(planes, sampling, ids, scale=0.5, restart=0, jfif=True, adobe=None):
    """planes: full-resolution uint8 arrays (one per component); sampling: (h, v) per component."""
    h_max = max(h for h, _ in sampling)
    v_max = max(v for _, v in sampling)
    height, width = planes[0].shape
    mcux = -(-width // (8 * h_max))
    mcuy = -(-height // (8 * v_max))
    quant = [quant_table(scale), quant_table(scale * 1.4)]
    comps = []
    for i, (plane, (h, v)) in enumerate(zip(planes, sampling)):
        fy, fx = v_max // v, h_max // h
        dh, dw = -(-height * v // v_max), -(-width * h // h_max)
        padded = np.pad(plane.astype(np.float64), ((0, dh * fy - height), (0, dw * fx - width)), mode="edge")
        down = padded.reshape(dh, fy, dw, fx).mean(axis=(1, 3))
        full = np.pad(down, ((0, mcuy * v * 8 - dh), (0, mcux * h * 8 - dw)), mode="edge") - 128
        q = quant[0 if i == 0 else 1]
        coefs = np.zeros((mcuy * v, mcux * h, 64), dtype=int)
        for by in range(mcuy * v):
            for bx in range(mcux * h):
                block = DCT @ full[by * 8:by * 8 + 8, bx * 8:bx * 8 + 8] @ DCT.T
                coefs[by, bx] = np.round(block / q).astype(int).reshape(64)[ZIGZAG]
        comps.append((h, v, coefs, 0 if i == 0 else 1))
    bw = BitWriter()
    preds = [0] * len(comps)
    count = 0
    marker = 0
    for my in range(mcuy):
        for mx in range(mcux):
            if restart and count and count % restart == 0:
                bw.flush()
                bw.out += bytes([0xFF, 0xD0 + marker])
                marker = (marker + 1) & 7
                preds = [0] * len(comps)
            count += 1
            for ci, (h, v, coefs, _) in enumerate(comps):
                for yy in range(v):
                    for xx in range(h):
                        block = coefs[my * v + yy, mx * h + xx]
                        size, bits = encode_value(bw, int(block[0]) - preds[ci])
                        preds[ci] = int(block[0])
                        bw.write(DC_SYMBOLS.index(size), 4)
                        bw.write(bits, size)
                        run = 0
                        for k in range(1, 64):
                            c = int(block[k])
                            if c == 0:
                                run += 1
                                continue
                            while run > 15:
                                bw.write(AC_SYMBOLS.index(0xF0), 8)
                                run -= 16
                            size, bits = encode_value(bw, c)
                            bw.write(AC_SYMBOLS.index((run << 4) | size), 8)
                            bw.write(bits, size)
                            run = 0
                        if run:
                            bw.write(AC_SYMBOLS.index(0x00), 8)
    bw.flush()

    def segment(code, payload):
        return bytes([0xFF, code]) + struct.pack(">H", len(payload) + 2) + payload

    out = bytearray(b"\xFF\xD8")
    if jfif:
        out += segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    if adobe is not None:
        out += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe))
    for t, q in enumerate(quant):
        out += segment(0xDB, bytes([t]) + bytes(int(q.reshape(64)[z]) for z in ZIGZAG))
    sof = struct.pack(">BHHB", 8, height, width, len(comps))
    for i, (h, v, _, t) in enumerate(comps):
        sof += bytes([ids[i], (h << 4) | v, t])
    out += segment(0xC0, sof)
    dc_counts = [0] * 16
    dc_counts[3] = len(DC_SYMBOLS)
    ac_counts = [0] * 16
    ac_counts[7] = len(AC_SYMBOLS)
    out += segment(0xC4, bytes([0x00]) + bytes(dc_counts) + bytes(DC_SYMBOLS) + bytes([0x10]) + bytes(ac_counts) +
                   bytes(AC_SYMBOLS))
    if restart:
        out += segment(0xDD, struct.pack(">H", restart))
    sos = bytes([len(comps)]) + b"".join(bytes([ids[i], 0x00]) for i in range(len(comps))) + bytes([0, 63, 0])
    out += segment(0xDA, sos) + bw.out + b"\xFF\xD9"
    return bytes(out)


def strip_segments(data, code):
    """Removes every marker segment with this code before the first scan."""
    out, i = bytearray(data[:2]), 2
    while True:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xDA:
            return bytes(out + data[i:])
        if marker != code:
            out += data[i:i + 2 + length]
        i += 2 + length


def ycc_planes(im):
    return [np.asarray(p) for p in im.convert("YCbCr").split()]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    big = synthetic(151, 149)
    mid = synthetic(67, 53)
    small = synthetic(33, 17)
    cat = chelsea(64, 48)
    cases = []

    def add(name, data, allow_truncated=False, expect="decode", note=""):
        path = os.path.join(OUT, name + ".jpg")
        with open(path, "wb") as f:
            f.write(data)
        case = {"file": name + ".jpg", "allowTruncated": allow_truncated, "expect": expect, "note": note}
        ImageFile.LOAD_TRUNCATED_IMAGES = allow_truncated
        try:
            im = Image.open(io.BytesIO(data))
            case["pillowMode"] = im.mode
            rgb = im.convert("RGB")
            raw = rgb.tobytes()
            case.update(width=rgb.width, height=rgb.height, sha256=hashlib.sha256(raw).hexdigest())
            if expect == "decode" and rgb.width * rgb.height <= 5000:
                # Small images keep their full bytes (for a first-difference report); larger ones only the hash.
                with gzip.GzipFile(os.path.join(OUT, name + ".rgb.gz"), "wb", mtime=0) as g:
                    g.write(raw)
                case["expected"] = name + ".rgb.gz"
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = False
        cases.append(case)

    for sub, label in [(0, "444"), (1, "422"), (2, "420")]:
        add(f"baseline-{label}", pillow_jpeg(mid, quality=90, subsampling=sub))
        add(f"baseline-{label}-151x149", pillow_jpeg(big, quality=90, subsampling=sub))
        add(f"progressive-{label}", pillow_jpeg(mid, quality=85, subsampling=sub, progressive=True))
        add(f"baseline-{label}-33x17", pillow_jpeg(small, quality=75, subsampling=sub))
    add("baseline-420-q100", pillow_jpeg(mid, quality=100, subsampling=2))
    add("baseline-420-q20-optimized", pillow_jpeg(mid, quality=20, subsampling=2, optimize=True))
    add("progressive-420-151x149", pillow_jpeg(big, quality=85, subsampling=2, progressive=True))
    add("chelsea-420", pillow_jpeg(cat, quality=75))
    add("chelsea-progressive-422", pillow_jpeg(cat, quality=92, subsampling=1, progressive=True))
    add("tiny-420-4x5", pillow_jpeg(synthetic(4, 5), quality=90, subsampling=2))
    add("tiny-422-3x7", pillow_jpeg(synthetic(3, 7), quality=90, subsampling=1))
    add("tiny-420-1x1", pillow_jpeg(synthetic(1, 1), quality=90, subsampling=2))
    add("grey", pillow_jpeg(mid.convert("L"), quality=90))
    add("grey-151x149", pillow_jpeg(big.convert("L"), quality=90))
    add("grey-progressive-33x17", pillow_jpeg(small.convert("L"), quality=80, progressive=True))
    cmyk = Image.merge("CMYK", [p.point(lambda v, k=k: (v * (k + 2)) % 256) for k, p in
                                enumerate(mid.split() + (mid.convert("L"),))])
    add("cmyk-adobe", pillow_jpeg(cmyk, quality=90))
    add("cmyk-adobe-progressive", pillow_jpeg(cmyk, quality=90, progressive=True))

    y, cb, cr = ycc_planes(big)
    add("own-restart-420-151x149", own_jpeg([y, cb, cr], [(2, 2), (1, 1), (1, 1)], [1, 2, 3], restart=3))
    y, cb, cr = ycc_planes(mid)
    add("own-restart-420", own_jpeg([y, cb, cr], [(2, 2), (1, 1), (1, 1)], [1, 2, 3], restart=5))
    add("own-restart-444-every-mcu", own_jpeg([y, cb, cr], [(1, 1), (1, 1), (1, 1)], [1, 2, 3], restart=1))
    ys, cbs, crs = ycc_planes(synthetic(37, 29))
    add("own-440-37x29", own_jpeg([ys, cbs, crs], [(1, 2), (1, 1), (1, 1)], [1, 2, 3]))
    add("own-411-37x29", own_jpeg([ys, cbs, crs], [(4, 1), (1, 1), (1, 1)], [1, 2, 3], restart=2))
    r, g, b = [np.asarray(p) for p in synthetic(37, 29).split()]
    add("own-rgb-ids", own_jpeg([r, g, b], [(1, 1), (1, 1), (1, 1)], [ord("R"), ord("G"), ord("B")], jfif=False))
    add("own-rgb-adobe", own_jpeg([r, g, b], [(1, 1), (1, 1), (1, 1)], [1, 2, 3], jfif=False, adobe=0))
    k = np.asarray(synthetic(37, 29).convert("L"))
    add("own-ycck-adobe", own_jpeg([ys, cbs, crs, k], [(2, 2), (1, 1), (1, 1), (2, 2)], [1, 2, 3, 4], jfif=False,
                                   adobe=2))

    add("mjpeg-no-dht", strip_segments(pillow_jpeg(mid, quality=80, subsampling=1), 0xC4),
        note="Huffman tables removed, as in Motion-JPEG frames: libjpeg-turbo uses the T.81 annex K tables")

    whole = pillow_jpeg(big, quality=90, subsampling=2)
    add("truncated-420-151x149", whole[: len(whole) * 3 // 5], allow_truncated=True,
        note="cut at 60%; Pillow with LOAD_TRUNCATED_IMAGES appends EOI and libjpeg leaves the rest grey")
    progressive = pillow_jpeg(big, quality=85, subsampling=2, progressive=True)
    add("truncated-progressive", progressive[: len(progressive) // 3], allow_truncated=True, expect="refuse",
        note="cut in an early scan: libjpeg smooths the incomplete blocks, which ConvViz does not reproduce")

    generator = (f"eng/make-jpeg-fixtures.py, Pillow {PIL.__version__}, libjpeg-turbo {features.version('libjpeg_turbo')}")
    with open(os.path.join(OUT, "jpeg.json"), "w") as f:
        json.dump({"generator": generator, "cases": cases}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(cases)} cases, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
