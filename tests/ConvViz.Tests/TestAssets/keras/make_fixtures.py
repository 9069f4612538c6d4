#!/usr/bin/env python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes small synthetic Keras 2.x HDF5 fixtures, one per layout variant and quirk, Keras 3 fixtures (.keras zips, a
Keras 3 legacy .h5 and a .weights.h5, written by hand in Keras 3's layout since no Keras package is available), and each
fixture's expected outputs from a plain numpy forward pass (NHWC, Keras' layouts; shares no code with ConvViz).

Run with Debian's python3-h5py and python3-numpy:  /usr/bin/python3 make_fixtures.py
Files written next to this script: <name>.h5 / <name>.keras / <name>.weights.h5 and <name>.json ({"input_shape", "input" (NHWC, flat), "output_shape", "output"}).
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261203)


# ---------------------------------------------------------------- numpy reference (NHWC, Keras layouts)
def same_pads(size, k, s, d):
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def pad_input(x, k, s, d, padding, value=0.0):
    if padding == "valid":
        return x, np.ones(x.shape[1:3], dtype=bool)
    (t, b), (l, r) = same_pads(x.shape[1], k[0], s[0], d[0]), same_pads(x.shape[2], k[1], s[1], d[1])
    mask = np.pad(np.ones(x.shape[1:3], dtype=bool), ((t, b), (l, r)))
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value), mask


def windows(x, k, s, d):
    n, h, w, c = x.shape
    oh = (h - ((k[0] - 1) * d[0] + 1)) // s[0] + 1
    ow = (w - ((k[1] - 1) * d[1] + 1)) // s[1] + 1
    out = np.zeros((n, oh, ow, k[0], k[1], c), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for b in range(k[1]):
                    out[:, i, j, a, b, :] = x[:, i * s[0] + a * d[0], j * s[1] + b * d[1], :]
    return out


def conv2d(x, kernel, bias, s, padding, d=(1, 1)):
    xp, _ = pad_input(x, kernel.shape[:2], s, d, padding)
    win = windows(xp, kernel.shape[:2], s, d)
    y = np.einsum("nijabc,abco->nijo", win, kernel)
    return y + bias if bias is not None else y


def depthwise(x, kernel, bias, s, padding, d=(1, 1)):
    kh, kw, cin, m = kernel.shape
    xp, _ = pad_input(x, (kh, kw), s, d, padding)
    win = windows(xp, (kh, kw), s, d)
    y = np.einsum("nijabc,abcm->nijcm", win, kernel).reshape(win.shape[0], win.shape[1], win.shape[2], cin * m)
    return y + bias if bias is not None else y


def pool(x, k, s, padding, kind):
    xp, mask = pad_input(x, k, s, (1, 1), padding, value=-np.inf if kind == "max" else 0.0)
    win = windows(xp, k, s, (1, 1))
    if kind == "max":
        return win.max(axis=(3, 4))
    counts = windows(mask[None, :, :, None].astype(np.float64), k, s, (1, 1)).sum(axis=(3, 4))
    return win.sum(axis=(3, 4)) / counts


def act(x, name):
    return {
        "linear": lambda v: v,
        "relu": lambda v: np.maximum(v, 0),
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "tanh": np.tanh,
        "hard_sigmoid": lambda v: np.clip(0.2 * v + 0.5, 0, 1),
        "softmax": lambda v: np.exp(v - v.max(-1, keepdims=True)) / np.exp(v - v.max(-1, keepdims=True)).sum(-1, keepdims=True),
        "elu": lambda v: np.where(v > 0, v, np.exp(v) - 1),
    }[name](x)


def batchnorm(x, gamma, beta, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


# ---------------------------------------------------------------- writing Keras files
def w(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def layer(class_name, name, **config):
    config = dict(config, name=name, trainable=True, dtype="float32")
    return {"class_name": class_name, "config": config}


def str_attr(obj, key, value, vlen):
    if vlen:
        obj.attrs[key] = value  # h5py 3: variable-length UTF-8
    else:
        obj.attrs[key] = np.bytes_(value.encode("utf-8"))  # fixed-length, as h5py 2 wrote


def names_attr(obj, key, names, vlen, split=0):
    if split:
        # Keras' split of attribute lists over 64 KB: key0, key1, ...
        for i in range(0, len(names), split):
            names_attr(obj, f"{key}{i // split}", names[i:i + split], vlen)
        return
    if vlen:
        obj.attrs.create(key, names, dtype=h5py.string_dtype("utf-8"))
    else:
        obj.attrs[key] = np.array([n.encode("utf-8") for n in names])


def write_weights(group, weights, vlen, colon=True, split=0, inner_suffix=""):
    """weights: list of (layer_name, [(short_name, array)]). Layers without weights get Keras' empty float64 list."""
    names_attr(group, "layer_names", [n for n, _ in weights], vlen, split)
    str_attr(group, "backend", "tensorflow", vlen)
    str_attr(group, "keras_version", "2.1.5", vlen)
    for layer_name, tensors in weights:
        g = group.create_group(layer_name)
        if not tensors:
            g.attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
            continue
        # A short name with a '/' is already a full name (a nested model's "<inner layer>/<weight>").
        full = [(short if "/" in short else f"{layer_name}{inner_suffix}/{short}") + (":0" if colon else "") for short, _ in tensors]
        names_attr(g, "weight_names", full, vlen)
        for name, (_, value) in zip(full, tensors):
            g.create_dataset(name, data=value)


def save(name, model_config, weights, x, y, vlen=False, colon=True, split=0, inner_suffix="", weights_only=False):
    path = os.path.join(HERE, name + ".h5")
    with h5py.File(path, "w") as f:
        if weights_only:
            write_weights(f, weights, vlen, colon, split, inner_suffix)
        else:
            str_attr(f, "keras_version", "2.1.5" if not vlen else "2.4.0", vlen)
            str_attr(f, "backend", "tensorflow", vlen)
            str_attr(f, "model_config", json.dumps(model_config), vlen)
            str_attr(f, "training_config", json.dumps({"loss": "categorical_crossentropy", "metrics": ["accuracy"],
                                                        "optimizer_config": {"class_name": "RMSprop", "config": {"lr": 0.001}}}), vlen)
            write_weights(f.create_group("model_weights"), weights, vlen, colon, split, inner_suffix)
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "input": [float(v) for v in x.astype(np.float32).ravel()],
                   "output_shape": list(y.shape), "output": [float(v) for v in y.ravel()]}, f)


# ---------------------------------------------------------------- fixture 1: Keras 2.1 Sequential (list config), fixed-length strings
def sequential_list(weights_seed_shift=False):
    k1, b1 = w(3, 3, 3, 4), w(4)
    g, be, mu, var = w(4) + 1, w(4), w(4), np.abs(w(4)) + 0.5
    k2, b2 = w(3, 3, 4, 3), w(3)
    k3, b3 = w(12, 5), w(5)
    return (k1, b1, g, be, mu, var, k2, b2, k3, b3)


def sequential_list_forward(x, p):
    k1, b1, g, be, mu, var, k2, b2, k3, b3 = p
    h = act(conv2d(x, k1, b1, (1, 1), "same"), "relu")
    h = batchnorm(h, g, be, mu, var, 1e-3)
    h = pool(h, (2, 2), (2, 2), "valid", "max")
    h = act(conv2d(h, k2, b2, (1, 1), "valid", d=(1, 1)), "hard_sigmoid")
    return act(h.reshape(h.shape[0], -1) @ k3 + b3, "softmax")


seq_config = {"class_name": "Sequential", "config": [
    layer("Conv2D", "conv2d_1", filters=4, kernel_size=[3, 3], strides=[1, 1], padding="same", data_format="channels_last",
          dilation_rate=[1, 1], activation="relu", use_bias=True, batch_input_shape=[None, 8, 8, 3],
          kernel_initializer={"class_name": "VarianceScaling", "config": {}}, kernel_regularizer=None),
    layer("BatchNormalization", "batch_normalization_1", axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True),
    layer("MaxPooling2D", "max_pooling2d_1", pool_size=[2, 2], padding="valid", strides=[2, 2], data_format="channels_last"),
    layer("Conv2D", "conv2d_2", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="valid", data_format="channels_last",
          dilation_rate=[1, 1], activation="hard_sigmoid", use_bias=True),
    layer("Flatten", "flatten_1"),
    layer("Dropout", "dropout_1", rate=0.5, noise_shape=None, seed=None),
    layer("Dense", "dense_1", units=5, activation="softmax", use_bias=True),
]}


def seq_weights(p):
    k1, b1, g, be, mu, var, k2, b2, k3, b3 = p
    return [("conv2d_1", [("kernel", k1), ("bias", b1)]),
            ("batch_normalization_1", [("gamma", g), ("beta", be), ("moving_mean", mu), ("moving_variance", var)]),
            ("max_pooling2d_1", []), ("conv2d_2", [("kernel", k2), ("bias", b2)]), ("flatten_1", []), ("dropout_1", []),
            ("dense_1", [("kernel", k3), ("bias", b3)])]


x8 = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
p1 = sequential_list()
# Quirk 1 (inner group named differently: conv2d_1/conv2d_1_7/kernel:0), quirk 2 (empty float64 weight_names), quirk 3 (fixed-length).
save("seq_list_keras21", seq_config, seq_weights(p1), x8, sequential_list_forward(x8.astype(np.float64), p1), inner_suffix="_7")
# Weights-only file (save_weights / save_model_weights_hdf5) with other weights, for the same architecture.
p1b = sequential_list()
save("seq_list_keras21_weights", None, seq_weights(p1b), x8, sequential_list_forward(x8.astype(np.float64), p1b), weights_only=True)
# Quirk 5: names without ':0' (plaidml).
save("seq_list_no_colon", seq_config, seq_weights(p1), x8, sequential_list_forward(x8.astype(np.float64), p1), colon=False)

# ---------------------------------------------------------------- fixture 2: tf.keras dict config, InputLayer, variable-length strings
dk, db = w(3, 3, 3, 2), w(6)
sd, sp, sb = w(3, 3, 6, 1), w(1, 1, 6, 4), w(4)
bg, bb, bm, bv = w(4) + 1, w(4), w(4), np.abs(w(4)) + 0.5
dk2, db2 = w(4, 3), w(3)
dict_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 9, 9, 3], "dtype": "float32", "sparse": False, "name": "input_1"}},
    layer("Rescaling", "rescaling", scale=0.5, offset=0.25),
    layer("ZeroPadding2D", "zero_padding2d", padding=[[1, 0], [0, 2]], data_format="channels_last"),
    layer("DepthwiseConv2D", "depthwise_conv2d", kernel_size=[3, 3], strides=[2, 2], padding="same", depth_multiplier=2,
          dilation_rate=[1, 1], activation="linear", use_bias=True, data_format="channels_last"),
    layer("ReLU", "re_lu", max_value=1.5, negative_slope=0.0, threshold=0.0),
    layer("SeparableConv2D", "separable_conv2d", filters=4, kernel_size=[3, 3], strides=[1, 1], padding="valid", depth_multiplier=1,
          dilation_rate=[1, 1], activation="elu", use_bias=True, data_format="channels_last"),
    layer("BatchNormalization", "batch_normalization", axis=[3], momentum=0.9, epsilon=0.01, center=True, scale=True),
    layer("AveragePooling2D", "average_pooling2d", pool_size=[2, 2], strides=[1, 1], padding="same", data_format="channels_last"),
    layer("GlobalAveragePooling2D", "global_average_pooling2d", data_format="channels_last"),
    layer("Dense", "dense", units=3, activation="tanh", use_bias=True),
]}}


def dict_forward(x):
    h = x * 0.5 + 0.25
    h = np.pad(h, ((0, 0), (1, 0), (0, 2), (0, 0)))
    h = depthwise(h, dk, db, (2, 2), "same")
    h = np.clip(h, 0, 1.5)
    h = depthwise(h, sd, None, (1, 1), "valid")
    h = act(conv2d(h, sp, sb, (1, 1), "valid"), "elu")
    h = batchnorm(h, bg, bb, bm, bv, 0.01)
    h = pool(h, (2, 2), (1, 1), "same", "avg")
    h = h.mean(axis=(1, 2))
    return act(h @ dk2 + db2, "tanh")


x9 = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
dict_weights = [("input_1", []), ("rescaling", []), ("zero_padding2d", []), ("depthwise_conv2d", [("depthwise_kernel", dk), ("bias", db)]),
                ("re_lu", []), ("separable_conv2d", [("depthwise_kernel", sd), ("pointwise_kernel", sp), ("bias", sb)]),
                ("batch_normalization", [("gamma", bg), ("beta", bb), ("moving_mean", bm), ("moving_variance", bv)]),
                ("average_pooling2d", []), ("global_average_pooling2d", []), ("dense", [("kernel", dk2), ("bias", db2)])]
save("seq_dict_tfkeras_vlen", dict_config, dict_weights, x9, dict_forward(x9.astype(np.float64)), vlen=True)

# ---------------------------------------------------------------- fixture 3: functional with Add and Concatenate; split layer_names0/1
fa, fab = w(3, 3, 2, 3), w(3)
fb, fbb = w(3, 3, 3, 3), w(3)
fc, fcb = w(1, 1, 6, 4), w(4)
fd, fdb = w(4, 2), w(2)


def node(*names):
    return [[[n, 0, 0, {}] for n in names]]


func_config = {"class_name": "Model", "config": {"name": "model_1", "layers": [
    {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 6, 6, 2], "dtype": "float32", "sparse": False, "name": "input_1"}, "inbound_nodes": []},
    {"name": "conv_a", "class_name": "Conv2D", "config": layer("Conv2D", "conv_a", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same", dilation_rate=[1, 1], activation="relu", use_bias=True)["config"], "inbound_nodes": node("input_1")},
    {"name": "conv_b", "class_name": "Conv2D", "config": layer("Conv2D", "conv_b", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same", dilation_rate=[2, 2], activation="linear", use_bias=True)["config"], "inbound_nodes": node("conv_a")},
    {"name": "add_1", "class_name": "Add", "config": {"name": "add_1", "trainable": True}, "inbound_nodes": node("conv_a", "conv_b")},
    {"name": "concatenate_1", "class_name": "Concatenate", "config": {"name": "concatenate_1", "trainable": True, "axis": -1}, "inbound_nodes": node("add_1", "conv_a")},
    {"name": "conv_c", "class_name": "Conv2D", "config": layer("Conv2D", "conv_c", filters=4, kernel_size=[1, 1], strides=[2, 2], padding="valid", dilation_rate=[1, 1], activation="sigmoid", use_bias=True)["config"], "inbound_nodes": node("concatenate_1")},
    {"name": "global_max_pooling2d_1", "class_name": "GlobalMaxPooling2D", "config": {"name": "global_max_pooling2d_1", "data_format": "channels_last"}, "inbound_nodes": node("conv_c")},
    {"name": "dense_out", "class_name": "Dense", "config": layer("Dense", "dense_out", units=2, activation="linear", use_bias=True)["config"], "inbound_nodes": node("global_max_pooling2d_1")},
], "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_out", 0, 0]]}}


def func_forward(x):
    a = act(conv2d(x, fa, fab, (1, 1), "same"), "relu")
    b = conv2d(a, fb, fbb, (1, 1), "same", d=(2, 2))
    c = np.concatenate([a + b, a], axis=-1)
    c = act(conv2d(c, fc, fcb, (2, 2), "valid"), "sigmoid")
    return c.max(axis=(1, 2)) @ fd + fdb


x6 = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
func_weights = [("input_1", []), ("conv_a", [("kernel", fa), ("bias", fab)]), ("conv_b", [("kernel", fb), ("bias", fbb)]), ("add_1", []),
                ("concatenate_1", []), ("conv_c", [("kernel", fc), ("bias", fcb)]), ("global_max_pooling2d_1", []), ("dense_out", [("kernel", fd), ("bias", fdb)])]
# Quirk 4: layer_names split into layer_names0, layer_names1, ... (3 names per part here).
save("functional_add_concat_split", func_config, func_weights, x6, func_forward(x6.astype(np.float64)), split=3)

# Keras 3 inbound-node form of the same graph (__keras_tensor__ args), variable-length strings.
def k3node(*names):
    tensors = [{"class_name": "__keras_tensor__", "config": {"shape": [None], "dtype": "float32", "keras_history": [n, 0, 0]}} for n in names]
    return [{"args": [tensors if len(tensors) > 1 else tensors[0]], "kwargs": {}}]


k3_config = json.loads(json.dumps(func_config))
k3_config["class_name"] = "Functional"
for entry in k3_config["config"]["layers"]:
    names = [n[0] for n in entry["inbound_nodes"][0]] if entry["inbound_nodes"] else []
    entry["inbound_nodes"] = k3node(*names) if names else []
save("functional_keras3_nodes", k3_config, func_weights, x6, func_forward(x6.astype(np.float64)), vlen=True)

# ---------------------------------------------------------------- fixture 5: nested model (quirk 6), Keras 2.1 list config
nk1, nb1 = w(3, 3, 2, 3), w(3)
nk2, nb2 = w(3, 3, 3, 3), w(3)
nd, ndb = w(3 * 3 * 3, 4), w(4)
conv_base = {"name": "conv_base", "layers": [
    {"name": "base_input", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 6, 6, 2], "dtype": "float32", "name": "base_input"}, "inbound_nodes": []},
    {"name": "block_conv1", "class_name": "Conv2D", "config": layer("Conv2D", "block_conv1", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same", dilation_rate=[1, 1], activation="relu", use_bias=True)["config"], "inbound_nodes": node("base_input")},
    {"name": "block_conv2", "class_name": "Conv2D", "config": layer("Conv2D", "block_conv2", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same", dilation_rate=[1, 1], activation="linear", use_bias=True)["config"], "inbound_nodes": node("block_conv1")},
    {"name": "block_add", "class_name": "Add", "config": {"name": "block_add"}, "inbound_nodes": node("block_conv1", "block_conv2")},
    {"name": "block_pool", "class_name": "MaxPooling2D", "config": layer("MaxPooling2D", "block_pool", pool_size=[2, 2], strides=[2, 2], padding="valid")["config"], "inbound_nodes": node("block_add")},
], "input_layers": [["base_input", 0, 0]], "output_layers": [["block_pool", 0, 0]]}
nested_config = {"class_name": "Sequential", "config": [
    {"class_name": "Model", "config": conv_base},
    layer("Flatten", "flatten_2"),
    layer("Dense", "dense_2", units=4, activation="sigmoid", use_bias=True),
]}


def nested_forward(x):
    a = act(conv2d(x, nk1, nb1, (1, 1), "same"), "relu")
    h = pool(a + conv2d(a, nk2, nb2, (1, 1), "same"), (2, 2), (2, 2), "valid", "max")
    return act(h.reshape(h.shape[0], -1) @ nd + ndb, "sigmoid")


nested_weights = [("conv_base", [("block_conv1/kernel", nk1), ("block_conv1/bias", nb1), ("block_conv2/kernel", nk2), ("block_conv2/bias", nb2)]),
                  ("flatten_2", []), ("dense_2", [("kernel", nd), ("bias", ndb)])]
save("nested_conv_base", nested_config, nested_weights, x6, nested_forward(x6.astype(np.float64)))

# ================================================================ Keras 3
# Layout of Keras 3's saving_lib (read in keras/src/saving/saving_lib.py): a .keras file is a zip of metadata.json,
# config.json and model.weights.h5. In the weights file every layer of a model's `layers` list has a group
# layers/<snake_case(class name)>[_<n>]/vars holding its variables as datasets "0", "1", ... (trainable variables, then
# non-trainable ones): the group is named after the layer's class and position, not the layer's name. A nested model's
# layers are under layers/<its path>/layers/...; a Dropout's seed generator under layers/dropout/seed_generator/vars;
# the optimizer's variables under optimizer/vars. model.save_weights("x.weights.h5") writes the same h5 on its own.
import re


def snake(class_name):
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def initializer(class_name, **config):
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def k3layer(class_name, name, build_shape=None, inbound=None, **config):
    """A layer as Keras 3's serialize_keras_object writes it; inbound given: a functional model's layer entry."""
    cfg = dict(name=name, trainable=True, dtype=policy())
    if class_name in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"):
        cfg.update(kernel_initializer=initializer("GlorotUniform", seed=None), bias_initializer=initializer("Zeros"),
                   kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None)
    if class_name == "BatchNormalization":
        cfg.update(beta_initializer=initializer("Zeros"), gamma_initializer=initializer("Ones"), synchronized=False,
                   moving_mean_initializer=initializer("Zeros"), moving_variance_initializer=initializer("Ones"))
    cfg.update(config)
    entry = {"module": "keras.layers", "class_name": class_name, "config": cfg, "registered_name": None}
    if build_shape is not None:
        entry["build_config"] = {"input_shape": build_shape}
    if inbound is not None:
        entry["name"] = name
        entry["inbound_nodes"] = inbound
    return entry


def k3input(name, shape, functional=False):
    entry = {"module": "keras.layers", "class_name": "InputLayer",
             "config": {"batch_shape": [None, *shape], "dtype": "float32", "sparse": False, "name": name}, "registered_name": None}
    if functional:
        entry["name"] = name
        entry["inbound_nodes"] = []
    return entry


def k3tensor(name, shape):
    return {"class_name": "__keras_tensor__", "config": {"shape": [None, *shape], "dtype": "float32", "keras_history": [name, 0, 0]}}


def k3call(*tensors, **kwargs):
    return [{"args": [list(tensors) if len(tensors) > 1 else tensors[0]], "kwargs": kwargs}]


def k3model(class_name, name, layers, functional_io=None, build_shape=None):
    config = {"name": name, "trainable": True, "dtype": policy(), "layers": layers}
    if functional_io:
        config["input_layers"], config["output_layers"] = functional_io
    entry = {"module": "keras" if class_name == "Sequential" else "keras.src.models.functional", "class_name": class_name,
             "config": config, "registered_name": None if class_name == "Sequential" else "Functional"}
    if build_shape is not None:
        entry["build_config"] = {"input_shape": build_shape}
    return entry


def write_k3_weights(f, layers, functional=False):
    """layers: list of (class_name, [arrays] or a nested list of layers when class_name is Sequential/Functional)."""
    f.create_group("vars")

    def container(group, entries):
        used = {}
        for class_name, value in entries:
            name = snake(class_name)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            g = group.create_group(name)
            v = g.create_group("vars")
            if class_name in ("Sequential", "Functional"):
                container(g.create_group("layers"), value)
                continue
            for i, array in enumerate(value):
                v.create_dataset(str(i), data=array)
            if class_name == "Dropout":
                g.create_group("seed_generator").create_group("vars").create_dataset("0", data=np.array([1337, 0], dtype=np.uint32))

    container(f.create_group("layers"), layers)
    # The optimizer's state (an int64 iteration count first), which ConvViz does not read.
    opt = f.create_group("optimizer").create_group("vars")
    opt.create_dataset("0", data=np.int64(12))
    opt.create_dataset("1", data=np.zeros((3,), dtype=np.float32))


def h5_bytes(write):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write(f)
    return buffer.getvalue()


def save_expected(name, x, y):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "input": [float(v) for v in x.astype(np.float32).ravel()],
                   "output_shape": list(y.shape), "output": [float(v) for v in y.ravel()]}, f)


def save_keras(name, config, layers, x, y):
    weights = h5_bytes(lambda f: write_k3_weights(f, layers))
    # Keras writes stored (uncompressed) entries; a fixed time stamp keeps the fixture's bytes reproducible.
    with zipfile.ZipFile(os.path.join(HERE, name + ".keras"), "w") as zf:
        for entry, data in [("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-12-03@06:00:00"})),
                            ("config.json", json.dumps(config)), ("model.weights.h5", weights)]:
            zf.writestr(zipfile.ZipInfo(entry, date_time=(2026, 12, 3, 6, 0, 0)), data)
    save_expected(name, x, y)


# ---------------------------------------------------------------- Keras 3 fixture 1: Sequential; layer names differ from the weight paths
q = dict(k1=w(3, 3, 3, 4), b1=w(4), be1=w(4), mu1=w(4), var1=np.abs(w(4)) + 0.5, dw=w(3, 3, 4, 2),
         sd=w(3, 3, 8, 1), sp=w(1, 1, 8, 5), sb=w(5), k2=w(1, 1, 5, 3), g2=w(3) + 1, mu2=w(3), var2=np.abs(w(3)) + 0.5,
         dk=w(27, 4), db=w(4))


def k3_seq_forward(x, p):
    h = act(conv2d(x, p["k1"], p["b1"], (1, 1), "same"), "relu")
    h = batchnorm(h, 1.0, p["be1"], p["mu1"], p["var1"], 1e-3)                     # scale = False: no gamma
    h = depthwise(h, p["dw"], None, (1, 1), "valid")                                # use_bias = False
    h = pool(h, (2, 2), (2, 2), "valid", "max")
    h = act(conv2d(depthwise(h, p["sd"], None, (1, 1), "same"), p["sp"], p["sb"], (1, 1), "valid"), "tanh")
    h = conv2d(h, p["k2"], None, (1, 1), "valid")                                    # use_bias = False
    h = batchnorm(h, p["g2"], 0.0, p["mu2"], p["var2"], 1e-2)                        # center = False: no beta
    return act(h.reshape(h.shape[0], -1) @ p["dk"] + p["db"], "softmax")


k3_seq_layers_config = [
    k3input("input_layer", [8, 8, 3]),
    k3layer("Conv2D", "stem", [None, 8, 8, 3], filters=4, kernel_size=[3, 3], strides=[1, 1], padding="same", data_format="channels_last",
            dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True),
    k3layer("BatchNormalization", "bn_noscale", [None, 8, 8, 4], axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=False),
    k3layer("DepthwiseConv2D", "dw", [None, 8, 8, 4], kernel_size=[3, 3], strides=[1, 1], padding="valid", data_format="channels_last",
            dilation_rate=[1, 1], depth_multiplier=2, activation="linear", use_bias=False,
            depthwise_initializer=initializer("GlorotUniform", seed=None), depthwise_regularizer=None, depthwise_constraint=None),
    k3layer("MaxPooling2D", "max_pooling2d", [None, 6, 6, 8], pool_size=[2, 2], padding="valid", strides=[2, 2], data_format="channels_last"),
    k3layer("SeparableConv2D", "sep", [None, 3, 3, 8], filters=5, kernel_size=[3, 3], strides=[1, 1], padding="same", data_format="channels_last",
            dilation_rate=[1, 1], depth_multiplier=1, activation="tanh", use_bias=True,
            depthwise_initializer=initializer("GlorotUniform", seed=None), pointwise_initializer=initializer("GlorotUniform", seed=None)),
    k3layer("Conv2D", "mix", [None, 3, 3, 5], filters=3, kernel_size=[1, 1], strides=[1, 1], padding="valid", data_format="channels_last",
            dilation_rate=[1, 1], groups=1, activation="linear", use_bias=False),
    k3layer("BatchNormalization", "bn_nocenter", [None, 3, 3, 3], axis=-1, momentum=0.99, epsilon=0.01, center=False, scale=True),
    k3layer("Flatten", "flatten", [None, 3, 3, 3], data_format="channels_last"),
    k3layer("Dropout", "dropout", [None, 27], rate=0.3, seed=None, noise_shape=None),
    k3layer("Dense", "head", [None, 27], units=4, activation="softmax", use_bias=True),
]
k3_seq_config = k3model("Sequential", "sequential", k3_seq_layers_config, build_shape=[None, 8, 8, 3])
k3_seq_config["compile_config"] = {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"learning_rate": 0.001}, "registered_name": None},
                                   "loss": "categorical_crossentropy", "metrics": ["accuracy"]}


def k3_seq_vars(p):
    # Sequential.layers omits the InputLayer; variables in Keras 3's order, only those the flags create.
    return [("Conv2D", [p["k1"], p["b1"]]), ("BatchNormalization", [p["be1"], p["mu1"], p["var1"]]), ("DepthwiseConv2D", [p["dw"]]),
            ("MaxPooling2D", []), ("SeparableConv2D", [p["sd"], p["sp"], p["sb"]]), ("Conv2D", [p["k2"]]),
            ("BatchNormalization", [p["g2"], p["mu2"], p["var2"]]), ("Flatten", []), ("Dropout", []), ("Dense", [p["dk"], p["db"]])]


save_keras("k3_sequential", k3_seq_config, k3_seq_vars(q), x8, k3_seq_forward(x8.astype(np.float64), q))

# model.save_weights("k3_sequential.weights.h5"): the same architecture with other weights.
q2 = {k: (w(*v.shape) + (1 if k == "g2" else 0)) if not k.startswith("var") else np.abs(w(*v.shape)) + 0.5 for k, v in q.items()}
with h5py.File(os.path.join(HERE, "k3_sequential.weights.h5"), "w") as f:
    write_k3_weights(f, k3_seq_vars(q2))
save_expected("k3_sequential_weights", x8, k3_seq_forward(x8.astype(np.float64), q2))

# Keras 3 legacy .h5 (model.save("x.h5")): Keras 3 JSON in model_config (stored as bytes), Keras 2's model_weights groups
# (sorted by layer name) whose weight_names are the variables' paths, and a top_level_model_weights group.
with h5py.File(os.path.join(HERE, "k3_legacy_sequential.h5"), "w") as f:
    f.attrs["keras_version"] = b"3.6.0"
    f.attrs["backend"] = b"tensorflow"
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": k3_seq_config["config"]}).encode("utf-8")
    f.attrs["training_config"] = json.dumps({"loss": "categorical_crossentropy", "metrics": ["accuracy"]}).encode("utf-8")
    mw = f.create_group("model_weights")
    names = [entry["config"]["name"] for entry in k3_seq_layers_config[1:]]
    short = {"Conv2D": ["kernel", "bias"], "DepthwiseConv2D": ["kernel", "bias"], "SeparableConv2D": ["depthwise_kernel", "pointwise_kernel", "bias"],
             "Dense": ["kernel", "bias"], "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"]}
    mw.attrs["layer_names"] = np.array([n.encode("utf-8") for n in names])
    mw.attrs["backend"] = b"tensorflow"
    mw.attrs["keras_version"] = b"3.6.0"
    by_name = {}
    for entry, (class_name, arrays) in zip(k3_seq_layers_config[1:], k3_seq_vars(q)):
        cfg = entry["config"]
        var_names = [v for v in short.get(class_name, [])
                     if not (v == "bias" and not cfg.get("use_bias", True)) and not (v == "gamma" and not cfg.get("scale", True))
                     and not (v == "beta" and not cfg.get("center", True))]
        by_name[cfg["name"]] = [(f"sequential/{cfg['name']}/{v}", a) for v, a in zip(var_names, arrays)]
    for layer_name in sorted(by_name):
        g = mw.create_group(layer_name)
        if not by_name[layer_name]:
            g.attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
            continue
        g.attrs["weight_names"] = np.array([n.encode("utf-8") for n, _ in by_name[layer_name]])
        for n, a in by_name[layer_name]:
            g.create_dataset(n, data=a)
    mw.create_group("top_level_model_weights").attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
save_expected("k3_legacy_sequential", x8, k3_seq_forward(x8.astype(np.float64), q))

# ---------------------------------------------------------------- Keras 3 fixture 2: functional with Add and Concatenate
s6 = lambda c: [6, 6, c]
k3_func_config = k3model("Functional", "functional", [
    k3input("input_layer", [6, 6, 2], functional=True),
    k3layer("Conv2D", "conv_a", [None, 6, 6, 2], k3call(k3tensor("input_layer", s6(2))), filters=3, kernel_size=[3, 3], strides=[1, 1],
            padding="same", data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True),
    k3layer("Conv2D", "conv_b", [None, 6, 6, 3], k3call(k3tensor("conv_a", s6(3))), filters=3, kernel_size=[3, 3], strides=[1, 1],
            padding="same", data_format="channels_last", dilation_rate=[2, 2], groups=1, activation="linear", use_bias=True),
    k3layer("Add", "add", [[None, 6, 6, 3], [None, 6, 6, 3]], k3call(k3tensor("conv_a", s6(3)), k3tensor("conv_b", s6(3)))),
    k3layer("Concatenate", "concatenate", [[None, 6, 6, 3], [None, 6, 6, 3]], k3call(k3tensor("add", s6(3)), k3tensor("conv_a", s6(3))), axis=-1),
    k3layer("Conv2D", "conv_c", [None, 6, 6, 6], k3call(k3tensor("concatenate", s6(6))), filters=4, kernel_size=[1, 1], strides=[2, 2],
            padding="valid", data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="sigmoid", use_bias=True),
    k3layer("GlobalMaxPooling2D", "global_max_pooling2d", [None, 3, 3, 4], k3call(k3tensor("conv_c", [3, 3, 4])), data_format="channels_last", keepdims=False),
    k3layer("Dense", "dense_out", [None, 4], k3call(k3tensor("global_max_pooling2d", [4])), units=2, activation="linear", use_bias=True),
], functional_io=([["input_layer", 0, 0]], [["dense_out", 0, 0]]))
# Functional.layers includes the InputLayer.
save_keras("k3_functional", k3_func_config,
           [("InputLayer", []), ("Conv2D", [fa, fab]), ("Conv2D", [fb, fbb]), ("Add", []), ("Concatenate", []), ("Conv2D", [fc, fcb]),
            ("GlobalMaxPooling2D", []), ("Dense", [fd, fdb])], x6, func_forward(x6.astype(np.float64)))

# ---------------------------------------------------------------- Keras 3 fixture 3: a functional model nested in a Sequential
k3_base = k3model("Functional", "conv_base", [
    k3input("base_input", [6, 6, 2], functional=True),
    k3layer("Conv2D", "block_conv1", [None, 6, 6, 2], k3call(k3tensor("base_input", s6(2))), filters=3, kernel_size=[3, 3], strides=[1, 1],
            padding="same", data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True),
    k3layer("Conv2D", "block_conv2", [None, 6, 6, 3], k3call(k3tensor("block_conv1", s6(3))), filters=3, kernel_size=[3, 3], strides=[1, 1],
            padding="same", data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="linear", use_bias=True),
    k3layer("Add", "block_add", [[None, 6, 6, 3], [None, 6, 6, 3]], k3call(k3tensor("block_conv1", s6(3)), k3tensor("block_conv2", s6(3)))),
    k3layer("MaxPooling2D", "block_pool", [None, 6, 6, 3], k3call(k3tensor("block_add", s6(3))), pool_size=[2, 2], strides=[2, 2],
            padding="valid", data_format="channels_last"),
], functional_io=([["base_input", 0, 0]], [["block_pool", 0, 0]]), build_shape=[None, 6, 6, 2])
k3_nested_config = k3model("Sequential", "sequential", [
    k3input("input_layer", [6, 6, 2]),
    k3_base,
    k3layer("Flatten", "flatten", [None, 3, 3, 3], data_format="channels_last"),
    k3layer("Dense", "dense", [None, 27], units=4, activation="sigmoid", use_bias=True),
], build_shape=[None, 6, 6, 2])
save_keras("k3_nested", k3_nested_config,
           [("Functional", [("InputLayer", []), ("Conv2D", [nk1, nb1]), ("Conv2D", [nk2, nb2]), ("Add", []), ("MaxPooling2D", [])]),
            ("Flatten", []), ("Dense", [nd, ndb])], x6, nested_forward(x6.astype(np.float64)))

# Keras 3 legacy .h5 of the nested model: the inner model's weights in one group named after it, named by their
# variable paths, which here start with the inner model's name (conv_base/block_conv1/kernel).
with h5py.File(os.path.join(HERE, "k3_legacy_nested.h5"), "w") as f:
    f.attrs["keras_version"] = b"3.6.0"
    f.attrs["backend"] = b"tensorflow"
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": k3_nested_config["config"]}).encode("utf-8")
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = np.array([b"conv_base", b"flatten", b"dense"])
    mw.attrs["backend"] = b"tensorflow"
    mw.attrs["keras_version"] = b"3.6.0"
    legacy_nested = {"conv_base": [("conv_base/block_conv1/kernel", nk1), ("conv_base/block_conv1/bias", nb1),
                                   ("conv_base/block_conv2/kernel", nk2), ("conv_base/block_conv2/bias", nb2)],
                     "dense": [("sequential/dense/kernel", nd), ("sequential/dense/bias", ndb)], "flatten": []}
    for layer_name in sorted(legacy_nested):
        g = mw.create_group(layer_name)
        if not legacy_nested[layer_name]:
            g.attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
            continue
        g.attrs["weight_names"] = np.array([n.encode("utf-8") for n, _ in legacy_nested[layer_name]])
        for n, a in legacy_nested[layer_name]:
            g.create_dataset(n, data=a)
    mw.create_group("top_level_model_weights").attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
save_expected("k3_legacy_nested", x6, nested_forward(x6.astype(np.float64)))

# ---------------------------------------------------------------- vector inputs (appended last: the fixtures above keep their random numbers)
# R keras' MNIST tutorial: layer_dense(units = 512, activation = "relu", input_shape = c(784)) %>% layer_dropout(0.4) %>%
# layer_dense(units = 10, activation = "softmax"), as Keras 2.1 (R keras) writes it: a list config whose first layer has
# batch_input_shape [None, 784].
mk1, mb1 = w(784, 512, scale=0.05), w(512, scale=0.1)
mk2, mb2 = w(512, 10, scale=0.1), w(10, scale=0.1)
mnist_config = {"class_name": "Sequential", "config": [
    layer("Dense", "dense_1", units=512, activation="relu", use_bias=True, batch_input_shape=[None, 784],
          kernel_initializer={"class_name": "VarianceScaling", "config": {}}, kernel_regularizer=None),
    layer("Dropout", "dropout_1", rate=0.4, noise_shape=None, seed=None),
    layer("Dense", "dense_2", units=10, activation="softmax", use_bias=True),
]}
x784 = rng.random((3, 784)).astype(np.float32)


def mnist_forward(x):
    return act(act(x @ mk1 + mb1, "relu") @ mk2 + mb2, "softmax")


save("seq_vector_mnist_dense", mnist_config,
     [("dense_1", [("kernel", mk1), ("bias", mb1)]), ("dropout_1", []), ("dense_2", [("kernel", mk2), ("bias", mb2)])],
     x784, mnist_forward(x784.astype(np.float64)))

# A functional model on vectors with BatchNormalization and Activation over the feature axis (tf.keras dict config).
vk1, vb1 = w(20, 16), w(16)
vg, vbe, vmu, vvar = w(16) + 1, w(16), w(16), np.abs(w(16)) + 0.5
vk2, vb2 = w(16, 3), w(3)
vector_func_config = {"class_name": "Functional", "config": {"name": "model", "layers": [
    {"name": "features", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 20], "dtype": "float32", "sparse": False, "ragged": False, "name": "features"}, "inbound_nodes": []},
    {"name": "hidden", "class_name": "Dense", "config": layer("Dense", "hidden", units=16, activation="linear", use_bias=True)["config"], "inbound_nodes": node("features")},
    {"name": "bn", "class_name": "BatchNormalization", "config": layer("BatchNormalization", "bn", axis=[1], momentum=0.99, epsilon=0.001, center=True, scale=True)["config"], "inbound_nodes": node("hidden")},
    {"name": "act", "class_name": "Activation", "config": layer("Activation", "act", activation="tanh")["config"], "inbound_nodes": node("bn")},
    {"name": "out", "class_name": "Dense", "config": layer("Dense", "out", units=3, activation="sigmoid", use_bias=True)["config"], "inbound_nodes": node("act")},
], "input_layers": [["features", 0, 0]], "output_layers": [["out", 0, 0]]}}
x20 = rng.standard_normal((2, 20)).astype(np.float32)


def vector_func_forward(x):
    h = batchnorm(x @ vk1 + vb1, vg, vbe, vmu, vvar, 1e-3)
    return act(act(h, "tanh") @ vk2 + vb2, "sigmoid")


save("func_vector_bn", vector_func_config,
     [("features", []), ("hidden", [("kernel", vk1), ("bias", vb1)]),
      ("bn", [("gamma", vg), ("beta", vbe), ("moving_mean", vmu), ("moving_variance", vvar)]), ("act", []), ("out", [("kernel", vk2), ("bias", vb2)])],
     x20, vector_func_forward(x20.astype(np.float64)), vlen=True)

# The real R keras file (committed with its notice): its expected outputs from its own weights, read with h5py.
with h5py.File(os.path.join(HERE, "r-keras-mnist-dense.h5"), "r") as f:
    g = f["model_weights"]
    rk1, rb1 = g["dense_3/dense_3_4/kernel:0"][()], g["dense_3/dense_3_4/bias:0"][()]
    rk2, rb2 = g["dense_4/dense_4_4/kernel:0"][()], g["dense_4/dense_4_4/bias:0"][()]
xr = rng.random((2, 784)).astype(np.float32)
xd = xr.astype(np.float64)
save_expected("r-keras-mnist-dense", xr, act(act(xd @ rk1.astype(np.float64) + rb1, "relu") @ rk2.astype(np.float64) + rb2, "softmax"))

# Keras 3 .keras of a vector model: Sequential(Input(shape=(64,)), Dense(32, relu), Dropout, BatchNormalization, Dense(4, softmax)).
ka, kab = w(64, 32, scale=0.2), w(32)
kg, kbe, kmu, kvar = w(32) + 1, w(32), w(32), np.abs(w(32)) + 0.5
kc, kcb = w(32, 4), w(4)
k3_vector_config = k3model("Sequential", "sequential", [
    k3input("input_layer", [64]),
    k3layer("Dense", "dense", [None, 64], units=32, activation="relu", use_bias=True),
    k3layer("Dropout", "dropout", [None, 32], rate=0.2, seed=None, noise_shape=None),
    k3layer("BatchNormalization", "batch_normalization", [None, 32], axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True),
    k3layer("Dense", "dense_1", [None, 32], units=4, activation="softmax", use_bias=True),
], build_shape=[None, 64])
x64 = rng.standard_normal((2, 64)).astype(np.float32)
save_keras("k3_vector", k3_vector_config,
           [("Dense", [ka, kab]), ("Dropout", []), ("BatchNormalization", [kg, kbe, kmu, kvar]), ("Dense", [kc, kcb])], x64,
           act(batchnorm(act(x64.astype(np.float64) @ ka + kab, "relu"), kg, kbe, kmu, kvar, 1e-3) @ kc + kcb, "softmax"))
print("fixtures written to", HERE)
