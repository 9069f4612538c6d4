#!/usr/bin/python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes small BMP and netpbm files covering the variants ConvViz's own decoders read, and what Pillow (and so
Keras' load_img) decodes from each, to tests/ConvViz.Tests/TestAssets/Parity/formats/. The files are built byte by
byte here, so every header variant is exact; Pillow only decodes them. Run with Debian's packages:

  apt-get install -y python3-pil python3-numpy
  /usr/bin/python3 eng/make-format-fixtures.py

Pillow 9.4 (Debian 12) produced the committed files; its version is recorded in formats.json.
"""
import io
import json
import os
import struct

import numpy as np
import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ConvViz.Tests", "TestAssets", "Parity",
                   "formats")
RNG = np.random.default_rng(13)
W, H = 7, 5  # odd width: every row needs padding


def bmp(bits, rows, palette=b"", compression=0, colors=0, masks=b"", header=40, top_down=False, offset=None,
        omit_palette_from_offset=False):
    """A BMP file; rows are the stored rows (already bottom-up or top-down), each padded to 4 bytes."""
    stride = ((W * bits + 31) >> 3) & ~3
    pixels = b"".join(r.ljust(stride, b"\0") for r in rows)
    if header == 12:
        info = struct.pack("<IHHHH", 12, W, H, 1, bits)
    else:
        info = struct.pack("<IiiHHIIiiII", header, W, -H if top_down else H, 1, bits, compression, len(pixels),
                           2835, 2835, colors, 0)
        if header > 40:
            extra = masks.ljust(header - 40, b"\0") if header >= 56 else b"\0" * (header - 40)
            info += extra
            masks = b""
    body = info + masks + palette
    if offset is None:
        offset = 14 + (len(info) if omit_palette_from_offset else len(body))
    return b"BM" + struct.pack("<IHHI", 14 + len(body) + len(pixels), 0, 0, offset) + body + pixels


def rows_of(pack, bottom_up=True):
    rows = [pack(y) for y in range(H)]
    return rows[::-1] if bottom_up else rows


def bits_row(indices, bits):
    out, acc, n = bytearray(), 0, 0
    for i in indices:
        acc = (acc << bits) | int(i)
        n += bits
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def cases():
    idx8 = RNG.integers(0, 256, (H, W))
    rgb = RNG.integers(0, 256, (H, W, 4))
    pal256 = b"".join(bytes([int(b), int(g), int(r), 0]) for r, g, b in RNG.integers(0, 256, (256, 3)))
    pal16 = pal256[:64]
    pal2 = bytes([30, 60, 90, 0, 200, 150, 100, 0])
    yield "pal1.bmp", bmp(1, rows_of(lambda y: bits_row(idx8[y] & 1, 1)), pal2)
    yield "pal1-bw.bmp", bmp(1, rows_of(lambda y: bits_row(idx8[y] & 1, 1)), bytes([0, 0, 0, 0, 255, 255, 255, 0]))
    yield "pal4.bmp", bmp(4, rows_of(lambda y: bits_row(idx8[y] & 15, 4)), pal16)
    yield "pal8.bmp", bmp(8, rows_of(lambda y: bytes(idx8[y].tolist())), pal256)
    yield "pal8-topdown.bmp", bmp(8, rows_of(lambda y: bytes(idx8[y].tolist()), bottom_up=False), pal256, top_down=True)
    # 12 colours: indices 12..255 fall back to Pillow's grey ramp
    yield "pal8-short-palette.bmp", bmp(8, rows_of(lambda y: bytes(idx8[y].tolist())), pal256[:48], colors=12)
    yield "pal8-offset-without-palette.bmp", bmp(8, rows_of(lambda y: bytes(idx8[y].tolist())), pal256,
                                                 omit_palette_from_offset=True)
    yield "pal8-grey.bmp", bmp(8, rows_of(lambda y: bytes(idx8[y].tolist())),
                               b"".join(bytes([i, i, i, 0]) for i in range(256)))
    os2_palette = b"".join(pal256[i * 4:i * 4 + 3] for i in range(256))
    yield "os2-pal8.bmp", bmp(8, rows_of(lambda y: bytes(idx8[y].tolist())), os2_palette, header=12)
    yield "os2-rgb24.bmp", bmp(24, rows_of(lambda y: bytes(rgb[y, :, :3].astype(np.uint8).tobytes())), header=12)
    v15 = RNG.integers(0, 1 << 16, (H, W))
    yield "rgb16-555.bmp", bmp(16, rows_of(lambda y: struct.pack(f"<{W}H", *v15[y].tolist())))
    yield "rgb16-555-bitfields.bmp", bmp(16, rows_of(lambda y: struct.pack(f"<{W}H", *v15[y].tolist())),
                                         compression=3, masks=struct.pack("<III", 0x7C00, 0x3E0, 0x1F))
    yield "rgb16-565-bitfields.bmp", bmp(16, rows_of(lambda y: struct.pack(f"<{W}H", *v15[y].tolist())),
                                         compression=3, masks=struct.pack("<III", 0xF800, 0x7E0, 0x1F))
    yield "rgb24.bmp", bmp(24, rows_of(lambda y: rgb[y, :, :3].astype(np.uint8).tobytes()))
    yield "rgb24-topdown-v5.bmp", bmp(24, rows_of(lambda y: rgb[y, :, :3].astype(np.uint8).tobytes(), bottom_up=False),
                                      header=124, top_down=True)
    yield "rgb32.bmp", bmp(32, rows_of(lambda y: rgb[y].astype(np.uint8).tobytes()))
    for name, m in [("bgrx", (0xFF0000, 0xFF00, 0xFF, 0)), ("xbgr", (0xFF000000, 0xFF0000, 0xFF00, 0)),
                    ("abgr", (0xFF000000, 0xFF0000, 0xFF00, 0xFF)), ("rgba", (0xFF, 0xFF00, 0xFF0000, 0xFF000000)),
                    ("bgra", (0xFF0000, 0xFF00, 0xFF, 0xFF000000))]:
        yield f"rgb32-{name}-v4.bmp", bmp(32, rows_of(lambda y: rgb[y].astype(np.uint8).tobytes()), compression=3,
                                          masks=struct.pack("<IIII", *m), header=108)
    yield "rgb32-bgrx-bitfields-v3.bmp", bmp(32, rows_of(lambda y: rgb[y].astype(np.uint8).tobytes()), compression=3,
                                             masks=struct.pack("<III", 0xFF0000, 0xFF00, 0xFF))
    grey = RNG.integers(0, 256, (H, W))
    colour = RNG.integers(0, 65536, (H, W, 3))

    def pnm(magic, maxval, samples, sep=b"\n"):
        wide = maxval > 255
        body = samples.astype(">u2").tobytes() if wide else samples.astype(np.uint8).tobytes()
        return magic + sep + b"%d %d" % (W, H) + sep + b"%d" % maxval + b"\n" + body

    yield "grey.pgm", pnm(b"P5", 255, grey)
    yield "grey-maxval-100.pgm", pnm(b"P5", 100, grey % 120)  # values above maxval clip
    yield "grey-maxval-1.pgm", pnm(b"P5", 1, grey % 2)
    # v/6·255 hits .5 for odd v: Python's round() goes half to even (42.5 → 42, 212.5 → 212); 7 > maxval clips
    yield "grey-maxval-6.pgm", pnm(b"P5", 6, grey % 8)
    yield "grey-as.ppm", pnm(b"P5", 255, grey)  # a .ppm name with P5 content
    yield "colour.ppm", pnm(b"P6", 255, colour % 256)
    yield "colour-maxval-31.ppm", pnm(b"P6", 31, colour % 32)
    yield "colour-maxval-1000.ppm", pnm(b"P6", 1000, colour % 1001)
    yield "colour-maxval-65535.ppm", pnm(b"P6", 65535, colour)
    yield "colour-comments.ppm", b"P6\n# a comment\n%d # width\n%d\n255\t" % (W, H) + (colour % 256).astype(
        np.uint8).tobytes()


def main():
    os.makedirs(OUT, exist_ok=True)
    out = {"generator": f"eng/make-format-fixtures.py, Pillow {PIL.__version__}", "width": W, "height": H, "cases": []}
    for name, data in cases():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        im.load()
        rgb = np.asarray(im.convert("RGB")).reshape(-1).tolist()
        rgba = np.asarray(im.convert("RGBA"))[..., 3].reshape(-1).tolist()
        out["cases"].append({"file": name, "pillowMode": im.mode, "rgb": rgb, "alpha": rgba})
    with open(os.path.join(OUT, "formats.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
