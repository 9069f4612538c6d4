#!/usr/bin/python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
"""Writes the small ONNX models that ConvViz's ONNX import tests load and compare with ONNX Runtime.

Each model covers a group of operators and attribute variants. Weights are seeded random numbers; the expected
outputs are not stored: the tests run each file in ONNX Runtime. Run with Debian's python3-onnx and python3-numpy:
    /usr/bin/python3 tests/ConvViz.Tests/TestAssets/onnx/make_onnx_fixtures.py
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261203)


def w(name, *shape, scale=0.3):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def pos(name, *shape):
    return numpy_helper.from_array((rng.random(shape) + 0.5).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def scalar(name, value):
    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


def save(name, nodes, inits, in_shape, out_shape, opset, ir=None):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        inits)
    if opset < 9:
        # IR 3 lists every initializer as a graph input too (the importer must tell them from the image input).
        graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="convviz-fixtures")
    model.ir_version = ir or {7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}[opset]
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


def bn(prefix, c):
    return [pos(prefix + "_scale", c), w(prefix + "_bias", c), w(prefix + "_mean", c), pos(prefix + "_var", c)]


# 1. Convolutions and pooling, opset 8 (as CNTK's ResNet18): asymmetric pads, groups, dilation, auto_pad, BN with spatial.
save("conv_pool", [
    helper.make_node("Conv", ["input", "c1_w", "c1_b"], ["c1"], name="conv_asym", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 0, 0]),
    helper.make_node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["b1"], name="bn", epsilon=1e-3, spatial=1),
    helper.make_node("Relu", ["b1"], ["r1"], name="relu"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="max_pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 0, 0]),
    helper.make_node("Conv", ["p1", "c2_w"], ["c2"], name="conv_grouped_dilated", kernel_shape=[3, 3], group=4, dilations=[2, 2], pads=[2, 2, 2, 2]),
    helper.make_node("LeakyRelu", ["c2"], ["l2"], name="leaky", alpha=0.1),
    helper.make_node("AveragePool", ["l2"], ["p2"], name="avg_pool", kernel_shape=[2, 2], strides=[1, 1], pads=[0, 1, 1, 0], count_include_pad=0),
    helper.make_node("Conv", ["p2", "c3_w", "c3_b"], ["c3"], name="conv_same_upper", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
    helper.make_node("Conv", ["c3", "c4_w"], ["c4"], name="conv_same_lower", kernel_shape=[2, 2], auto_pad="SAME_LOWER"),
    helper.make_node("MaxPool", ["c4"], ["p4"], name="max_pool_same", kernel_shape=[2, 2], auto_pad="SAME_UPPER"),
    helper.make_node("Sigmoid", ["p4"], ["output"], name="sigmoid"),
], [w("c1_w", 8, 3, 3, 3), w("c1_b", 8), *bn("bn", 8), w("c2_w", 8, 2, 3, 3), w("c3_w", 4, 8, 3, 3), w("c3_b", 4), w("c4_w", 4, 4, 2, 2)],
    [1, 3, 33, 31], [1, 4, 4, 4], 8)

# 2. A residual block with a concatenation, global pooling and a Gemm head (opset 13).
save("residual", [
    helper.make_node("Conv", ["input", "c1_w", "c1_b"], ["c1"], name="block_conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"], name="block_relu1"),
    helper.make_node("Conv", ["r1", "c2_w"], ["c2"], name="block_conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Add", ["c2", "input"], ["a"], name="block_add"),
    helper.make_node("Relu", ["a"], ["r2"], name="block_out"),
    helper.make_node("Concat", ["r2", "input"], ["cat"], name="concat", axis=1),
    helper.make_node("Sub", ["cat", "r2_again"], ["d"], name="diff") if False else helper.make_node("Mul", ["cat", "cat"], ["d"], name="square"),
    helper.make_node("GlobalAveragePool", ["d"], ["g"], name="gap"),
    helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["fc"], name="fc", transB=1, alpha=0.5, beta=2.0),
    helper.make_node("Softmax", ["fc"], ["output"], name="softmax", axis=1),
], [w("c1_w", 4, 4, 3, 3), w("c1_b", 4), w("c2_w", 4, 4, 3, 3), w("fc_w", 5, 8), w("fc_b", 5)],
    [1, 4, 9, 9], [1, 5], 13)

# 3. Activations, constant arithmetic, Pad, Dropout, Identity, GlobalMaxPool, Reshape and MatMul (opset 14 for HardSwish).
save("activations", [
    helper.make_node("Conv", ["input", "c_w", "c_b"], ["c"], name="conv", kernel_shape=[1, 1]),
    helper.make_node("Tanh", ["c"], ["t"], name="tanh"),
    helper.make_node("Mul", ["t", "per_channel"], ["m"], name="scale_per_channel"),
    helper.make_node("Add", ["m", "image_offset"], ["ao"], name="add_image"),
    helper.make_node("Clip", ["ao", "zero", "six"], ["clip6"], name="relu6"),
    helper.make_node("Clip", ["c", "zero", "cap"], ["clipcap"], name="relu_cap"),
    helper.make_node("Sub", ["clip6", "clipcap"], ["s"], name="difference"),
    helper.make_node("HardSigmoid", ["s"], ["hs"], name="hard_sigmoid"),
    helper.make_node("HardSwish", ["c"], ["hw"], name="hard_swish"),
    helper.make_node("Softplus", ["hw"], ["sp"], name="softplus"),
    helper.make_node("Elu", ["sp"], ["el"], name="elu", alpha=1.0),
    helper.make_node("Selu", ["el"], ["se"], name="selu"),
    helper.make_node("Div", ["se", "two"], ["dv"], name="halve"),
    helper.make_node("Sub", ["one", "dv"], ["inv"], name="one_minus"),
    helper.make_node("Div", ["one", "hs"], ["rec"], name="reciprocal"),
    helper.make_node("Add", ["inv", "rec"], ["sum"], name="sum"),
    helper.make_node("Pad", ["sum", "pads"], ["pd"], name="pad", mode="constant"),
    helper.make_node("Dropout", ["pd", "ratio"], ["dr"], name="dropout"),
    helper.make_node("Identity", ["dr"], ["id"], name="identity"),
    helper.make_node("GlobalMaxPool", ["id"], ["gm"], name="gmp"),
    helper.make_node("Reshape", ["gm", "flat"], ["fl"], name="reshape"),
    helper.make_node("MatMul", ["fl", "mm_w"], ["output"], name="matmul"),
], [w("c_w", 6, 3, 1, 1), w("c_b", 6), pos("per_channel", 6, 1, 1), w("image_offset", 1, 6, 7, 5), scalar("zero", 0.0),
    scalar("six", 6.0), scalar("cap", 2.5), scalar("two", 2.0), scalar("one", 1.0), ints("pads", [0, 0, 1, 2, 0, 0, 0, 1]),
    scalar("ratio", 0.25), ints("flat", [0, -1]), w("mm_w", 6, 3)],
    [1, 3, 7, 5], [1, 3], 14)

# 4. A channels-last model as tf2onnx writes Keras models: NHWC input, Transposes, Keras' flatten order.
save("nhwc", [
    helper.make_node("Transpose", ["input"], ["nchw"], name="to_nchw", perm=[0, 3, 1, 2]),
    helper.make_node("Conv", ["nchw", "c_w", "c_b"], ["c"], name="conv", kernel_shape=[3, 3]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("Transpose", ["r"], ["nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]),
    helper.make_node("Reshape", ["nhwc", "flat"], ["f"], name="flatten"),
    helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["fc"], name="dense"),
    helper.make_node("Sigmoid", ["fc"], ["output"], name="sigmoid"),
], [w("c_w", 4, 3, 3, 3), w("c_b", 4), ints("flat", [-1, 6 * 5 * 4]), w("fc_w", 6 * 5 * 4, 2), w("fc_b", 2)],
    [1, 8, 7, 3], [1, 2], 13)

# 5. PyTorch's channels-first flatten, opset 11 Softmax, Clip without max, MatMul + Add bias.
save("flatten_nchw", [
    helper.make_node("Conv", ["input", "c_w"], ["c"], name="conv", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Clip", ["c", "zero"], ["r"], name="clip_relu"),
    helper.make_node("Flatten", ["r"], ["f"], name="flatten", axis=1),
    helper.make_node("MatMul", ["f", "mm_w"], ["mm"], name="matmul"),
    helper.make_node("Add", ["mm", "mm_b"], ["fc"], name="bias"),
    helper.make_node("Softmax", ["fc"], ["output"], name="softmax", axis=1),
], [w("c_w", 5, 2, 2, 2), scalar("zero", 0.0), w("mm_w", 5 * 3 * 4, 4), w("mm_b", 4)],
    [1, 2, 6, 8], [1, 4], 11)

# 6. Opset 7: Dropout with its ratio attribute, BatchNormalization, Split / Concat / Sub of a mean image (ResNet18's transform).
save("split_concat", [
    helper.make_node("Split", ["input"], ["r", "g", "b"], name="split", axis=1, split=[1, 1, 1]),
    helper.make_node("Concat", ["b", "g", "r"], ["bgr"], name="to_bgr", axis=1),
    helper.make_node("Sub", ["bgr", "mean"], ["centred"], name="subtract_mean"),
    helper.make_node("BatchNormalization", ["centred", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["n"], name="bn"),
    helper.make_node("Dropout", ["n"], ["output"], name="dropout", ratio=0.3),
], [w("mean", 1, 3, 5, 4, scale=50.0), *bn("bn", 3)], [1, 3, 5, 4], [1, 3, 5, 4], 7)
print("written to", HERE)
