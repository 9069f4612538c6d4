#!/usr/bin/python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes the Keras-parity reference data under tests/ConvViz.Tests/TestAssets/Parity/ from the real libraries
Keras runs on: Pillow's NEAREST resize (what load_img uses) and scipy.ndimage.affine_transform(order=1) (what
ImageDataGenerator's apply_affine_transform uses). Run with Debian's packages, not a pyenv:

  apt-get install -y python3-pil python3-scipy python3-numpy
  /usr/bin/python3 eng/make-parity-fixtures.py

Pillow 9.4 and scipy 1.10 (Debian 12) produced the committed files; the versions are recorded in them.
"""
import json
import math
import os
import sys

import numpy as np
import PIL
import scipy
from PIL import Image
from scipy import ndimage

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ConvViz.Tests", "TestAssets", "Parity")


def pillow_nearest():
    """Source column and row chosen by Pillow for each output pixel, read back from a coordinate-coded RGB image."""
    cases = []
    for (sw, sh), (dw, dh) in [((500, 375), (150, 150)), ((400, 300), (150, 150)), ((180, 180), (150, 150)),
                               ((320, 240), (150, 150)), ((1000, 667), (150, 150)), ((640, 480), (224, 224)),
                               ((37, 23), (150, 150)), ((151, 149), (150, 150))]:
        ys, xs = np.mgrid[0:sh, 0:sw]
        coded = np.stack([xs & 255, (xs >> 8) | ((ys >> 8) << 4), ys & 255], axis=-1).astype(np.uint8)
        out = np.asarray(Image.fromarray(coded, "RGB").resize((dw, dh), Image.NEAREST)).astype(np.int64)
        x = out[..., 0] + 256 * (out[..., 1] & 15)
        y = out[..., 2] + 256 * (out[..., 1] >> 4)
        # Nearest resize is separable: every row picks the same columns and every column the same rows.
        assert (x == x[0:1, :]).all() and (y == y[:, 0:1]).all()
        cases.append({"sourceWidth": sw, "sourceHeight": sh, "width": dw, "height": dh,
                      "columns": x[0].tolist(), "rows": y[:, 0].tolist()})
    return {"generator": "Pillow " + PIL.__version__ + " Image.resize(NEAREST)", "cases": cases}


def smooth_image(n):
    """The 31×31 test image; ConvViz.Tests computes the same formula in double precision, then float32."""
    r, c = np.mgrid[0:n, 0:n].astype(np.float64)
    return (128 + 90 * np.sin(0.21 * c + 0.5) * np.cos(0.17 * r - 0.3) + 1.3 * c - 0.8 * r).astype(np.float32)


def keras_warp(x, p, mode, cval):
    """Keras >= 2.9 apply_affine_transform for one channel (square image), written out from its documented math."""
    h, w = x.shape
    theta = math.radians(p["rotation"])
    shear = math.radians(p["shear"])
    rotation = np.array([[math.cos(theta), -math.sin(theta), 0], [math.sin(theta), math.cos(theta), 0], [0, 0, 1]])
    shift = np.array([[1, 0, p["shiftX"]], [0, 1, p["shiftY"]], [0, 0, 1]])
    shear_m = np.array([[1, -math.sin(shear), 0], [0, math.cos(shear), 0], [0, 0, 1]])
    zoom = np.array([[p["zoomX"], 0, 0], [0, p["zoomY"], 0], [0, 0, 1]])
    t = rotation @ shift @ shear_m @ zoom
    ox, oy = h / 2 - 0.5, w / 2 - 0.5
    offset = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    reset = np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    t = offset @ t @ reset
    # The matrix is built on (x, y); numpy indexes (row, col): M' = P·M·P.
    t[:, [0, 1]] = t[:, [1, 0]]
    t[[0, 1]] = t[[1, 0]]
    return ndimage.affine_transform(x, t[:2, :2], t[:2, 2], order=1, mode=mode, cval=cval)


def scipy_warps():
    n = 31
    image = smooth_image(n)
    identity = {"rotation": 0.0, "shiftX": 0.0, "shiftY": 0.0, "shear": 0.0, "zoomX": 1.0, "zoomY": 1.0}
    transforms = {
        "rotation": dict(identity, rotation=33.0),
        "shear": dict(identity, shear=25.0),
        "zoom": dict(identity, zoomX=1.35, zoomY=0.8),
        "combined": dict(identity, rotation=-17.0, shiftX=2.6, shiftY=-1.3, shear=8.0, zoomX=1.2, zoomY=1.1),
        "fractionalShift": dict(identity, shiftX=-0.3, shiftY=30.7),
    }
    cases = []
    for name, p in transforms.items():
        for mode in ["reflect", "nearest", "constant", "wrap"]:
            if mode != "reflect" and name not in ("combined", "rotation"):
                continue
            out = keras_warp(image.astype(np.float64), p, mode, -20.0)
            cases.append({"name": name + "-" + mode, "mode": mode, "fillValue": -20.0, "parameters": p,
                          "values": [round(float(v), 4) for v in out.ravel()]})
    return {"generator": "scipy " + scipy.__version__ + " ndimage.affine_transform(order=1)", "size": n, "cases": cases}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in [("pillow-nearest.json", pillow_nearest()), ("scipy-affine-order1.json", scipy_warps())]:
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(data, f, separators=(",", ":"))
            f.write("\n")
        print("wrote", name, file=sys.stderr)


if __name__ == "__main__":
    main()
