#!/usr/bin/env python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes a synthetic VGG16-sized Keras 2 HDF5 file for the keras-load benchmark (run at benchmark time, never committed).

The model is Keras' VGG16 convolutional base (application_vgg16(include_top = FALSE), 13 Conv2D layers and 5
MaxPooling2D layers, 14,714,688 parameters, about 59 MB of float32 weights) on 150 x 150 x 3 images, followed by
GlobalAveragePooling2D and Dense(2, softmax), as tf.keras 2.x saves it with h5py 3: a dict Sequential config with an
InputLayer, variable-length strings, one group per layer with "<layer>/<weight>:0" datasets. The weights are random
(He-scaled normal, seeded); loading time does not depend on their values.

Usage:  /usr/bin/python3 make_vgg16_keras.py OUT.h5      (Debian's python3-h5py and python3-numpy)
"""
import json
import sys

import h5py
import numpy as np

BLOCKS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]


def layer(class_name, name, **config):
    return {"class_name": class_name, "config": dict(config, name=name, trainable=True, dtype="float32")}


def main(path):
    rng = np.random.default_rng(16)
    layers = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 150, 150, 3], "dtype": "float32",
                                                      "sparse": False, "ragged": False, "name": "input_1"}}]
    weights = [("input_1", [])]
    channels = 3
    for b, (convs, filters) in enumerate(BLOCKS, start=1):
        for c in range(1, convs + 1):
            name = f"block{b}_conv{c}"
            layers.append(layer("Conv2D", name, filters=filters, kernel_size=[3, 3], strides=[1, 1], padding="same",
                                data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True,
                                kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                                bias_initializer={"class_name": "Zeros", "config": {}}, kernel_regularizer=None))
            kernel = (rng.standard_normal((3, 3, channels, filters), dtype=np.float32) * np.sqrt(2.0 / (9 * channels))).astype(np.float32)
            weights.append((name, [("kernel", kernel), ("bias", np.zeros(filters, dtype=np.float32))]))
            channels = filters
        name = f"block{b}_pool"
        layers.append(layer("MaxPooling2D", name, pool_size=[2, 2], strides=[2, 2], padding="valid", data_format="channels_last"))
        weights.append((name, []))
    layers.append(layer("GlobalAveragePooling2D", "global_average_pooling2d", data_format="channels_last", keepdims=False))
    weights.append(("global_average_pooling2d", []))
    layers.append(layer("Dense", "dense", units=2, activation="softmax", use_bias=True))
    weights.append(("dense", [("kernel", (rng.standard_normal((512, 2)) * 0.05).astype(np.float32)), ("bias", np.zeros(2, dtype=np.float32))]))

    config = {"class_name": "Sequential", "config": {"name": "vgg16_base", "layers": layers}}
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        mw = f.create_group("model_weights")
        mw.attrs.create("layer_names", [n for n, _ in weights], dtype=strings)
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["keras_version"] = "2.11.0"
        for name, tensors in weights:
            g = mw.create_group(name)
            full = [f"{name}/{short}:0" for short, _ in tensors]
            g.attrs.create("weight_names", full, dtype=strings)
            for weight_name, (_, value) in zip(full, tensors):
                g.create_dataset(weight_name, data=value)
    print(sum(v.size for _, t in weights for _, v in t), "parameters written to", path)


if __name__ == "__main__":
    main(sys.argv[1])
